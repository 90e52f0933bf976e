//! The model sets results were produced with.

use crate::Store;

impl Store {
    /// Records a model set by version, once; later calls change nothing.
    pub async fn register_model_set(
        &self,
        version: &str,
        manifest: &serde_json::Value,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO model_sets (version, manifest) VALUES ($1, $2)
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(version)
        .bind(sqlx::types::Json(manifest))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

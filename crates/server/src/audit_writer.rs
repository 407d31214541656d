//! Group commit for audit events: requests hand their event to one writer task, which appends
//! everything that queued up meanwhile in one transaction and then acknowledges each request.
//! A request is answered only after its event is durable; if the audit log cannot be written,
//! the request fails (fail closed).

use crate::error::ApiError;
use bulwark_audit::AuditEvent;
use bulwark_store::Store;
use tokio::sync::{mpsc, oneshot};

type Ack = oneshot::Sender<Result<(), String>>;

/// Handle to the audit writer task.
#[derive(Clone, Debug)]
pub struct AuditWriter {
    tx: mpsc::Sender<(AuditEvent, Ack)>,
}

/// Largest batch appended in one transaction.
const MAX_BATCH: usize = 512;

impl AuditWriter {
    /// Starts the writer task on the current runtime.
    pub fn spawn(store: Store) -> Self {
        let (tx, mut rx) = mpsc::channel::<(AuditEvent, Ack)>(8192);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let events: Vec<AuditEvent> = batch.iter().map(|(e, _)| e.clone()).collect();
                let result = store.append_audit(&events).await.map_err(|e| e.to_string());
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(result.clone());
                }
            }
        });
        Self { tx }
    }

    /// Appends one event and waits until it is durable.
    pub async fn record(&self, event: AuditEvent) -> Result<(), ApiError> {
        let (ack_tx, ack_rx) = oneshot::channel();
        self.tx
            .send((event, ack_tx))
            .await
            .map_err(|_| ApiError::Internal("audit writer stopped".into()))?;
        match ack_rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(ApiError::Internal(format!("audit append failed: {e}"))),
            Err(_) => Err(ApiError::Internal("audit writer stopped".into())),
        }
    }
}

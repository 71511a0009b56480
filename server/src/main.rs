//! `ridewire-server`: serves the RideWire API.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = ([127, 0, 0, 1], 8787).into();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(
        listener,
        ridewire_server::app(ridewire_server::AppState::default()),
    )
    .await
}

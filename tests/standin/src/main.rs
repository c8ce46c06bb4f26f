//! `ollama-standin [--port N] [--upstream http://127.0.0.1:PORT/v1]`: runs the
//! stand-in until interrupted and prints the address it listens on.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut port = 0u16;
    let mut upstream = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().unwrap_or_default().parse()?,
            "--upstream" => upstream = args.next(),
            other => anyhow::bail!(
                "unknown argument {other}; usage: ollama-standin [--port N] [--upstream URL]"
            ),
        }
    }
    let standin = ollama_standin::spawn(port, upstream).await?;
    println!("Ollama stand-in listening on {}", standin.url());
    // Tell a test driving this process when clients go away.
    let observed = standin.observed.clone();
    tokio::spawn(async move {
        let mut reported = 0;
        loop {
            let count = observed.lock().expect("not poisoned").disconnects.len();
            while reported < count {
                reported += 1;
                println!("client disconnected");
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
    tokio::signal::ctrl_c().await?;
    Ok(())
}

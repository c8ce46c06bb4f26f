//! Streaming generations through the companion: the Ollama path against the
//! stand-in (scripted faults, and the real model behind it), the
//! OpenAI-compatible path against the real llama.cpp server, cancellation,
//! queueing, and the guards against other web pages.

mod support;

use std::time::{Duration, Instant};

use chimera_companion::backend::Timeouts;
use chimera_shared::llm::events::FiguresSource;
use chimera_shared::llm::{ErrorKind, GenerationMetrics, StreamEvent};
use support::*;

async fn with_standin(upstream: Option<String>) -> (ollama_standin::StandIn, Companion) {
    let standin = ollama_standin::spawn(0, upstream).await.unwrap();
    let companion = start_companion(
        vec![spec(&format!("gpu0:ollama={}", standin.url()))],
        Timeouts::default(),
    )
    .await;
    (standin, companion)
}

fn done_metrics(events: &[StreamEvent]) -> &GenerationMetrics {
    match events.last() {
        Some(StreamEvent::Done { metrics }) => metrics,
        other => panic!("expected a final Done event, got {other:?} in {events:?}"),
    }
}

fn error_of(events: &[StreamEvent]) -> (ErrorKind, &str, bool) {
    match events.last() {
        Some(StreamEvent::Error {
            kind,
            message,
            partial,
            ..
        }) => (*kind, message.as_str(), *partial),
        other => panic!("expected a final Error event, got {other:?}"),
    }
}

#[tokio::test]
async fn ollama_figures_arrive_in_milliseconds_with_rates() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/thinking")).await;
    assert!(matches!(events[0], StreamEvent::Started { .. }));
    assert!(matches!(events[1], StreamEvent::FirstToken { .. }));
    assert_eq!(text_of(&events), "Hello from the stand-in.");
    let thinking: String = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Thinking { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(thinking, "Let me think.");
    let metrics = done_metrics(&events);
    assert_eq!(metrics.source, FiguresSource::Ollama);
    assert_eq!(metrics.eval_ms, Some(100.0));
    assert_eq!(metrics.load_ms, Some(10.0));
    assert_eq!(metrics.total_ms, Some(130.0));
    assert_eq!(metrics.prompt_tokens, Some(12));
    assert_eq!(metrics.tokens_per_second, Some(60.0));
    assert_eq!(metrics.prompt_tokens_per_second, Some(600.0));
    assert!(metrics.ttft_ms.unwrap() <= metrics.wall_ms);
}

#[tokio::test]
async fn a_mid_stream_error_keeps_the_text_already_streamed() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/error-midstream")).await;
    assert_eq!(text_of(&events), "Hello from the");
    let (kind, message, partial) = error_of(&events);
    assert_eq!(kind, ErrorKind::Upstream);
    assert!(message.contains("CUDA error: out of memory"), "{message}");
    assert!(partial);
}

#[tokio::test]
async fn an_abrupt_close_is_reported_as_incomplete_and_partial() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/abrupt-close")).await;
    assert_eq!(text_of(&events), "Hello from the");
    let (kind, _, partial) = error_of(&events);
    assert_eq!(kind, ErrorKind::Incomplete);
    assert!(partial);
}

#[tokio::test]
async fn a_slow_start_shows_in_the_time_to_first_token() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/slow-start")).await;
    let metrics = done_metrics(&events);
    let ttft = metrics.ttft_ms.unwrap();
    assert!(ttft >= ollama_standin::SLOW_START_MS as f64, "ttft {ttft}");
    assert!(ttft < metrics.wall_ms);
}

#[tokio::test]
async fn a_character_split_across_chunks_arrives_whole() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/split-utf8")).await;
    assert_eq!(text_of(&events), "naïve café 🚀 ✓");
    done_metrics(&events);
}

#[tokio::test]
async fn absent_figures_fall_back_to_the_companion_clock() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/absent-fields")).await;
    let metrics = done_metrics(&events);
    assert_eq!(metrics.source, FiguresSource::Companion);
    assert_eq!(metrics.load_ms, None);
    assert_eq!(metrics.eval_tokens, Some(6));
    assert!(metrics.eval_ms.is_some());
}

#[tokio::test]
async fn malformed_lines_end_the_stream_with_a_clear_error() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/malformed")).await;
    assert_eq!(text_of(&events), "Hi");
    let (kind, message, partial) = error_of(&events);
    assert_eq!(kind, ErrorKind::Malformed);
    assert!(message.contains("502 Bad Gateway"), "{message}");
    assert!(partial);
}

#[tokio::test]
async fn a_missing_model_suggests_ollama_pull() {
    let (_standin, companion) = with_standin(None).await;
    let events = generate_events(companion.addr, &request("gpu0", "llama9:70b")).await;
    let (kind, message, partial) = error_of(&events);
    assert_eq!(kind, ErrorKind::ModelNotFound);
    assert!(message.contains("ollama pull llama9:70b"), "{message}");
    assert!(!partial);
}

#[tokio::test]
async fn an_unreachable_backend_is_named_with_its_address() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let companion = start_companion(
        vec![spec(&format!("gpu9:ollama=http://{dead}"))],
        Timeouts::default(),
    )
    .await;
    let events = generate_events(companion.addr, &request("gpu9", "any")).await;
    let (kind, message, _) = error_of(&events);
    assert_eq!(kind, ErrorKind::Unreachable);
    assert!(message.contains("\"gpu9\""), "{message}");
    assert!(message.contains(&dead.to_string()), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
}

#[tokio::test]
async fn an_unknown_backend_is_refused_without_contacting_anything() {
    let (standin, companion) = with_standin(None).await;
    let mut bad = request("http://169.254.169.254", "standin/thinking");
    let events = generate_events(companion.addr, &bad).await;
    let (kind, message, _) = error_of(&events);
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(message.contains("configured backends: gpu0"), "{message}");
    bad.backend = "nope".into();
    generate_events(companion.addr, &bad).await;
    assert!(standin.observed.lock().unwrap().requests.is_empty());
}

#[tokio::test]
async fn closing_the_page_connection_closes_the_upstream_within_100_ms() {
    let (standin, companion) = with_standin(None).await;
    let mut reader = EventReader::open(companion.addr, &request("gpu0", "standin/endless")).await;
    let mut deltas = 0;
    while deltas < 5 {
        if let Some(StreamEvent::Delta { .. }) = reader.next().await {
            deltas += 1;
        }
    }
    let dropped = Instant::now();
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(2);
    let seen = loop {
        if let Some(at) = standin
            .observed
            .lock()
            .unwrap()
            .disconnects
            .first()
            .copied()
        {
            break at;
        }
        assert!(
            Instant::now() < deadline,
            "the stand-in never saw the disconnect"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let lag = seen.saturating_duration_since(dropped);
    assert!(
        lag < Duration::from_millis(100),
        "upstream saw the disconnect after {lag:?}"
    );
}

#[tokio::test]
async fn requests_beyond_the_limit_are_reported_as_queued() {
    let standin = ollama_standin::spawn(0, None).await.unwrap();
    let mut limited = spec(&format!("gpu0:ollama={}", standin.url()));
    limited.max_concurrent = Some(1);
    let companion = start_companion(vec![limited], Timeouts::default()).await;
    let mut first = EventReader::open(companion.addr, &request("gpu0", "standin/endless")).await;
    assert!(matches!(
        first.next().await,
        Some(StreamEvent::Started { .. })
    ));
    let mut second = EventReader::open(companion.addr, &request("gpu0", "standin/thinking")).await;
    assert_eq!(
        second.next().await,
        Some(StreamEvent::Queued { position: 1 })
    );
    drop(first);
    // Once the first request is gone, the queued one runs to the end.
    let mut last = None;
    while let Some(event) = second.next().await {
        last = Some(event);
    }
    assert!(matches!(last, Some(StreamEvent::Done { .. })), "{last:?}");
}

#[tokio::test]
async fn a_silent_backend_times_out_with_a_hint() {
    let standin = ollama_standin::spawn(0, None).await.unwrap();
    let timeouts = Timeouts {
        first_byte_s: 0.3,
        ..Timeouts::default()
    };
    let companion = start_companion(
        vec![spec(&format!("gpu0:ollama={}", standin.url()))],
        timeouts,
    )
    .await;
    let events = generate_events(companion.addr, &request("gpu0", "standin/slow-start")).await;
    let (kind, message, _) = error_of(&events);
    assert_eq!(kind, ErrorKind::Timeout);
    assert!(message.contains("first_byte_s"), "{message}");
}

#[tokio::test]
async fn backends_are_listed_with_models_and_loaded_share() {
    let (_standin, companion) = with_standin(Some("http://127.0.0.1:9/v1".into())).await;
    let listing: serde_json::Value =
        reqwest::get(format!("http://{}/api/backends", companion.addr))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let gpu0 = &listing[0];
    assert_eq!(gpu0["name"], "gpu0");
    assert_eq!(gpu0["reachable"], true);
    assert_eq!(gpu0["version"], "0.0.0-standin");
    assert_eq!(gpu0["models"][0]["name"], ollama_standin::REAL_MODEL);
    assert_eq!(gpu0["models"][0]["quantization"], "Q4_1");
    assert_eq!(gpu0["loaded"][0]["gpu_share"], 0.0);
}

#[tokio::test]
async fn requests_for_other_hosts_and_from_other_origins_are_rejected() {
    let (_standin, companion) = with_standin(None).await;
    let client = reqwest::Client::new();
    let rebound = client
        .get(format!("http://{}/api/backends", companion.addr))
        .header("host", format!("evil.example:{}", companion.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    let cross = client
        .post(format!("http://{}/api/generate", companion.addr))
        .header("origin", "http://evil.example")
        .json(&request("gpu0", "standin/thinking"))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let same = client
        .post(format!("http://{}/api/generate", companion.addr))
        .header("origin", format!("http://{}", companion.addr))
        .json(&request("gpu0", "standin/thinking"))
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let (_standin, companion) = with_standin(None).await;
    let mut huge = request("gpu0", "standin/thinking");
    huge.prompt = "x".repeat(5 * 1024 * 1024);
    let response = reqwest::Client::new()
        .post(format!("http://{}/api/generate", companion.addr))
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

fn check_consistent(metrics: &GenerationMetrics, text: &str) {
    let ttft = metrics.ttft_ms.expect("a first token");
    assert!(
        ttft > 0.0 && ttft < metrics.wall_ms,
        "ttft {ttft} wall {}",
        metrics.wall_ms
    );
    assert!(metrics.eval_ms.unwrap() > 0.0);
    assert!(metrics.prompt_eval_ms.unwrap() > 0.0);
    assert!(metrics.prompt_tokens.unwrap() > 0);
    let eval_tokens = metrics.eval_tokens.unwrap();
    assert!(eval_tokens > 0 && eval_tokens <= 24, "{eval_tokens}");
    // Each streamed chunk is one token, except that llama.cpp may hold back
    // a token it cannot yet decode to text; never more chunks than tokens.
    assert!(
        metrics.streamed_chunks <= eval_tokens && metrics.streamed_chunks + 2 >= eval_tokens,
        "{metrics:?}"
    );
    let rate = metrics.tokens_per_second.unwrap();
    assert!((rate - eval_tokens as f64 * 1000.0 / metrics.eval_ms.unwrap()).abs() < 1e-6);
    assert!(!text.is_empty());
}

#[tokio::test]
async fn the_real_model_through_the_openai_path_gives_consistent_figures() {
    let Some(llama) = real_llama_url() else {
        return;
    };
    let companion = start_companion(
        vec![spec(&format!("cpu:openai={llama}"))],
        Timeouts::default(),
    )
    .await;
    let mut req = request("cpu", "smollm2");
    req.options.num_predict = Some(24);
    req.options.temperature = Some(0.0);
    req.options.num_gpu = Some(99);
    let events = generate_events(companion.addr, &req).await;
    let StreamEvent::Started {
        ignored_options, ..
    } = &events[0]
    else {
        panic!("started first")
    };
    assert_eq!(ignored_options[0].option, "num_gpu");
    let metrics = done_metrics(&events);
    assert_eq!(metrics.source, FiguresSource::LlamaCpp);
    check_consistent(metrics, &text_of(&events));
}

#[tokio::test]
async fn the_real_model_through_the_ollama_stand_in_gives_consistent_figures() {
    let Some(llama) = real_llama_url() else {
        return;
    };
    let (_standin, companion) = with_standin(Some(llama)).await;
    let mut req = request("gpu0", ollama_standin::REAL_MODEL);
    req.options.num_predict = Some(24);
    req.options.temperature = Some(0.0);
    let events = generate_events(companion.addr, &req).await;
    let metrics = done_metrics(&events);
    assert_eq!(metrics.source, FiguresSource::Ollama);
    check_consistent(metrics, &text_of(&events));
    assert!(metrics.total_ms.unwrap() <= metrics.wall_ms + 1.0);
}

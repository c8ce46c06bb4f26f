//! Chimera's reader: the page's Web Worker. It unzips and inventories what
//! the user dropped or picked, with the same core the command line uses, on
//! a thread of its own, so the page keeps painting and answering input
//! however large the folder.
//!
//! The page starts it with the compiled module (`reader.js`), then sends one
//! job at a time:
//! - `{job: "zip", file, read_metrics}`: a zip file, read a window at a time;
//! - `{job: "url", url, name, read_metrics}`: a zip fetched from the companion
//!   (the bundled example);
//! - `{job: "folder", files, paths, read_metrics}`: the files of a picked
//!   folder, with their paths inside it, under the same limits as the CLI's
//!   walk of a folder.
//!
//! It answers `{kind: "progress", label, done, total}` a few times a second,
//! then `{kind: "done", parts, memory, timings}` (the inventory cut into
//! JSON parts, see `chimera_shared::transfer`, the worker's memory in bytes,
//! and where the job's time went) or `{kind: "error", message}`. A job is
//! stopped by terminating the worker.
//!
//! Without the numbers, a large zip is read by two workers at once (see
//! `chimera_shared::split`), joined by a channel: both get the zip job, with
//! `part` ("first" or "second") and `peer` (their end of the channel). Each
//! reads its part of the entries; the second sends its part to the first
//! (or `null` when the zip cannot be cut, and the first reads it all) and
//! answers an empty inventory; the first answers the whole one.
//!
//! It also does the page's other heavy lifting that is not needed to show
//! the page, so that this code is not in the page's own module, and is
//! answered at once with `{kind: "done", ...}` or `{kind: "error", message}`:
//! - `{job: "markdown", texts}`: each Markdown text as safe HTML (`texts`);
//! - `{job: "fragment", snapshot}`: a report's snapshot JSON as a link
//!   fragment (`text`), or why it is too large for one (`too_large`);
//! - `{job: "fragment_json", fragment}`: the snapshot JSON a link's
//!   fragment carries (`bytes`), for the page to check and read.

use std::ops::Range;

use chimera_shared::archive::{FIRST_TAIL_BYTES, Limits, WINDOW_BYTES, ZipScan};
use chimera_shared::classify;
use chimera_shared::folder::{self, FolderFile, FolderLimits};
use chimera_shared::inventory::{Content, Finishing, Inventory, InventoryBuilder};
use chimera_shared::markdown;
use chimera_shared::snapshot::{self, Snapshot};
use chimera_shared::timestamp::{Modified, TimeSource};
use chimera_shared::transfer;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent, MessagePort};

/// How often progress is posted to the page.
const PROGRESS_EVERY_MS: f64 = 50.0;

thread_local! {
    /// Where the current job's time went, in milliseconds: reading the
    /// file, handling entries, the cross-file work, and cutting the result
    /// into parts. Sent with the result, for the benchmark.
    static PHASES: std::cell::RefCell<Phases> = std::cell::RefCell::default();
}

#[derive(Default, Clone, Copy)]
struct Phases {
    read_ms: f64,
    scan_ms: f64,
    finish_ms: f64,
    parts_ms: f64,
}

/// Runs `work`, adding its time to one of [`PHASES`].
fn timed<T>(phase: fn(&mut Phases) -> &mut f64, work: impl FnOnce() -> T) -> T {
    let started = now_ms();
    let result = work();
    let spent = now_ms() - started;
    PHASES.with(|p| *phase(&mut p.borrow_mut()) += spent);
    result
}

fn main() {
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        if let Some(reply) = text_job(&event.data()) {
            let reply = reply.or_else(|message| {
                message_of("error", &[("message", JsValue::from_str(&message))])
            });
            if let Ok(reply) = reply {
                let _ = scope().post_message(&reply);
            }
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            PHASES.with(|p| *p.borrow_mut() = Phases::default());
            let reply = match run_job(&event.data()).await {
                Ok(inventory) => done_message(inventory),
                Err(message) => message_of("error", &[("message", JsValue::from_str(&message))])
                    .map(|m| (m, Array::new())),
            };
            if let Ok((message, transfer)) = reply {
                let _ = scope().post_message_with_transfer(&message, &transfer);
            }
        });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
}

/// A property of a message (undefined when there is none).
fn field(message: &JsValue, name: &str) -> JsValue {
    Reflect::get(message, &JsValue::from_str(name)).unwrap_or_default()
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Answers a job that is not a reading, or `None` for a reading.
fn text_job(job: &JsValue) -> Option<Result<Object, String>> {
    let field = |name: &str| field(job, name);
    let text = |name: &str| {
        field(name)
            .as_string()
            .ok_or_else(|| format!("the job has no {name}"))
    };
    let reply = match field("job").as_string().as_deref() {
        Some("markdown") => (|| {
            let texts: Array = field("texts")
                .dyn_into()
                .map_err(|_| "the job has no texts".to_string())?;
            let html: Array = texts
                .iter()
                .map(|text| {
                    JsValue::from(markdown::to_safe_html(
                        &text.as_string().unwrap_or_default(),
                    ))
                })
                .collect();
            message_of("done", &[("texts", html.into())])
        })(),
        Some("fragment") => text("snapshot").and_then(|json| {
            let snapshot = Snapshot::from_json(json.as_bytes())?;
            match snapshot.to_fragment() {
                Ok(fragment) => message_of("done", &[("text", fragment.into())]),
                Err(too_large) => {
                    message_of("done", &[("too_large", too_large.to_string().into())])
                }
            }
        }),
        Some("fragment_json") => text("fragment").and_then(|fragment| {
            let json = snapshot::fragment_json(&fragment)?;
            message_of(
                "done",
                &[("bytes", Uint8Array::from(json.as_slice()).into())],
            )
        }),
        _ => return None,
    };
    Some(reply)
}

/// Reads what one job names into an inventory.
async fn run_job(job: &JsValue) -> Result<Inventory, String> {
    let field = |name: &str| field(job, name);
    let limits = Limits {
        read_metrics: field("read_metrics").as_bool().unwrap_or(true),
        ..Limits::default()
    };
    let mut progress = ProgressPost::default();
    match field("job").as_string().as_deref() {
        Some("zip") => {
            let file: File = field("file")
                .dyn_into()
                .map_err(|_| "the job names no file".to_string())?;
            read_zip_file(&file, limits, Peer::of_job(job), &mut progress).await
        }
        Some("url") => {
            let url = field("url").as_string().ok_or("the job names no URL")?;
            let name = field("name").as_string().unwrap_or_else(|| url.clone());
            let bytes = fetch(&url).await?;
            let scan = ZipScan::open(&name, bytes, limits).map_err(|e| format!("{name}: {e}"))?;
            Ok(run_scan(&name, scan, None, None, &mut progress).await)
        }
        Some("folder") => {
            let files: Array = field("files").dyn_into().map_err(|_| "no files")?;
            let paths: Array = field("paths").dyn_into().map_err(|_| "no paths")?;
            let files: Vec<(File, String)> = files
                .iter()
                .zip(paths.iter())
                .filter_map(|(file, path)| Some((file.dyn_into().ok()?, path.as_string()?)))
                .collect();
            Ok(read_folder(&files, limits, &mut progress).await)
        }
        other => Err(format!("unknown job {other:?}")),
    }
}

/// Reads a zip file: its end first, for the central directory, then a
/// window of entries at a time, so the worker holds a few megabytes of the
/// file rather than all of it. A file that does not open that way (damaged,
/// or not a zip) is read whole, to recover what can be and say what is
/// wrong.
async fn read_zip_file(
    file: &File,
    limits: Limits,
    peer: Option<Peer>,
    progress: &mut ProgressPost,
) -> Result<Inventory, String> {
    let name = file.name();
    let unreadable = |e: String| format!("{name}: could not read the file: {e}");
    let len = file.size() as u64;
    let mut tail = FIRST_TAIL_BYTES.min(len);
    let scan = loop {
        let bytes = read_slice(file, len - tail..len)
            .await
            .map_err(unreadable)?;
        if tail == len {
            let scan = ZipScan::open(&name, bytes, limits).map_err(|e| format!("{name}: {e}"))?;
            return Ok(run_scan(&name, scan, None, peer, progress).await);
        }
        if let Some(scan) = ZipScan::open_windowed(&name, len, bytes, limits) {
            break scan;
        }
        progress.post(&format!("Looking for the contents of {name}"), 0, 0);
        tail = tail.saturating_mul(4).min(len);
    };
    Ok(run_scan(&name, scan, Some(file), peer, progress).await)
}

/// Another worker reading the same zip (see the module's note).
enum Peer {
    /// Reads the second part of the entries and sends it here, where it
    /// arrives as the message the future resolves to.
    First(JsFuture),
    /// Reads the first part; this one sends it the second part.
    Second(MessagePort),
}

impl Peer {
    fn of_job(job: &JsValue) -> Option<Peer> {
        let field = |name: &str| field(job, name);
        let port = field("peer").dyn_into::<MessagePort>().ok()?;
        match field("part").as_string().as_deref() {
            Some("first") => {
                let received = js_sys::Promise::new(&mut |resolve, _| {
                    port.set_onmessage(Some(&resolve));
                });
                Some(Peer::First(JsFuture::from(received)))
            }
            Some("second") => Some(Peer::Second(port)),
            _ => None,
        }
    }
}

/// Works through a scan, with the help of another worker if there is one,
/// and finishes the inventory (the second part's worker answers an empty
/// one: its entries went to the first's).
async fn run_scan(
    name: &str,
    mut scan: ZipScan,
    file: Option<&File>,
    peer: Option<Peer>,
    progress: &mut ProgressPost,
) -> Inventory {
    let total = scan.total_entries();
    let label = format!("Reading {name}");
    let cut = peer.as_ref().and_then(|_| scan.halves());
    match (&peer, cut) {
        (Some(Peer::First(_)), Some(cut)) => scan.keep_entries(0..cut),
        (Some(Peer::Second(_)), Some(cut)) => scan.keep_entries(cut..total),
        (Some(Peer::Second(port)), None) => {
            // The first part's worker reads it all.
            let _ = port.post_message(&JsValue::NULL);
            return Inventory::default();
        }
        _ => {}
    }
    // The first part's progress stands for both.
    let shown = |done: usize| cut.map_or(done, |cut| (done * total / cut.max(1)).min(total));
    scan_entries(&mut scan, file, progress, &label, &shown).await;
    match peer {
        Some(Peer::Second(port)) => {
            let part = timed(
                |p| &mut p.parts_ms,
                || serde_json::to_string(&scan.into_part()),
            );
            let _ = port.post_message(&JsValue::from_str(&part.unwrap_or_default()));
            return Inventory::default();
        }
        Some(Peer::First(received)) if cut.is_some() => {
            progress.post(&label, shown(scan.done_entries()), total);
            let data = match received.await {
                Ok(event) => event.unchecked_into::<MessageEvent>().data(),
                Err(_) => JsValue::NULL,
            };
            let part = data
                .as_string()
                .and_then(|json| serde_json::from_str(&json).ok());
            match part {
                Some(part) => timed(|p| &mut p.scan_ms, || scan.absorb(part)),
                // The other worker could not read its part: read it here.
                None => {
                    scan.keep_entries(scan.done_entries()..total);
                    scan_entries(&mut scan, file, progress, &label, &|done| done).await;
                }
            }
        }
        _ => {}
    }
    finish(name, scan.finishing(), total, progress)
}

/// Reads the entries in the scan's range, loading the windows of `file` it
/// asks for when it is windowed. The browser reads the next window while
/// the scan works on this one, instead of the two taking turns.
async fn scan_entries(
    scan: &mut ZipScan,
    file: Option<&File>,
    progress: &mut ProgressPost,
    label: &str,
    shown: &dyn Fn(usize) -> usize,
) {
    let total = scan.total_entries();
    let mut ahead: Option<(Range<u64>, js_sys::Promise)> = None;
    loop {
        if let (Some(file), Some(range)) = (file, scan.wanted(WINDOW_BYTES)) {
            let read = match ahead.take() {
                Some((next, reading)) if next == range => read_started(reading).await,
                _ => read_slice(file, range.clone()).await,
            };
            match read {
                Ok(bytes) => scan.provide(range.start, bytes),
                // A window that cannot be read leaves its entries unloaded:
                // `finishing` lists them as unreadable, and the rest stands.
                Err(_) => break,
            }
            ahead = scan
                .following(WINDOW_BYTES)
                .and_then(|next| Some((next.clone(), start_read(file, next).ok()?)));
        }
        // A few entries at a time, so progress is posted on time even when
        // a window holds thousands of small files.
        let more = timed(|p| &mut p.scan_ms, || scan.step(64));
        progress.post_if_due(label, shown(scan.done_entries()), total);
        if !more {
            break;
        }
    }
}

/// Starts reading bytes `range` of a file; the browser reads it while the
/// worker goes on.
fn start_read(file: &File, range: Range<u64>) -> Result<js_sys::Promise, String> {
    file.slice_with_f64_and_f64(range.start as f64, range.end as f64)
        .map(|slice| slice.array_buffer())
        .map_err(|e| js_error(&e))
}

/// The bytes of a read [`start_read`] began.
async fn read_started(reading: js_sys::Promise) -> Result<Vec<u8>, String> {
    let started = now_ms();
    let read = JsFuture::from(reading).await;
    let bytes = read
        .map(|buffer| Uint8Array::new(&buffer).to_vec())
        .map_err(|e| js_error(&e));
    PHASES.with(|p| p.borrow_mut().read_ms += now_ms() - started);
    bytes
}

/// Bytes `range` of a file.
async fn read_slice(file: &File, range: Range<u64>) -> Result<Vec<u8>, String> {
    read_started(start_read(file, range)?).await
}

/// The cross-file work, with progress: on a large folder it takes several
/// hundred milliseconds.
fn finish(
    name: &str,
    mut finishing: Finishing,
    total: usize,
    progress: &mut ProgressPost,
) -> Inventory {
    let label = format!("Working out the statistics of {name}");
    progress.post(&label, total, total);
    timed(
        |p| &mut p.finish_ms,
        || {
            while !finishing.step() {
                progress.post_if_due(&label, total, total);
            }
            finishing.inventory()
        },
    )
}

/// Reads the files of a picked folder, under the same limits as the CLI's
/// walk of a folder on disk.
async fn read_folder(
    files: &[(File, String)],
    limits: Limits,
    progress: &mut ProgressPost,
) -> Inventory {
    let folder = files
        .first()
        .and_then(|(_, path)| classify::top_folder(path))
        .unwrap_or("folder")
        .to_owned();
    let mut builder = InventoryBuilder::new(folder.clone(), Some(format!("{folder}/")));
    builder.read_metrics(limits.read_metrics);
    let mut rules = FolderLimits::new(limits);
    let label = format!("Reading {folder}/");
    for (index, (file, path)) in files.iter().enumerate() {
        let size = file.size() as u64;
        let modified = Some(Modified::exact(
            (file.last_modified() / 1000.0) as i64,
            TimeSource::FileSystem,
        ));
        match rules.next(path, size) {
            FolderFile::Add(content) => builder.add_file(path, size, modified, content),
            FolderFile::Read => match read_slice(file, 0..size).await {
                Ok(bytes) => {
                    rules.was_read(bytes.len() as u64);
                    builder.add_file(path, size, modified, Content::Bytes(&bytes));
                }
                Err(error) => builder.add_file(path, size, modified, folder::unreadable(error)),
            },
        }
        progress.post_if_due(&label, index + 1, files.len());
    }
    finish(&folder, builder.finishing(), files.len(), progress)
}

/// The bytes at `url`, fetched from the page's own server.
async fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let failed = |e: JsValue| format!("could not fetch {url}: {}", js_error(&e));
    let response: web_sys::Response = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(failed)?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("could not fetch {url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The finished inventory, in parts whose buffers move to the page rather
/// than being copied.
fn done_message(inventory: Inventory) -> Result<(Object, Array), String> {
    let parts = Array::new();
    let transfer = Array::new();
    for part in timed(|p| &mut p.parts_ms, || transfer::into_parts(inventory)) {
        let bytes = Uint8Array::from(part.as_slice());
        transfer.push(&bytes.buffer());
        parts.push(&bytes);
    }
    let memory = wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length();
    let phases = PHASES.with(|p| *p.borrow());
    let timings = message_of(
        "timings",
        &[
            ("read_ms", phases.read_ms.into()),
            ("scan_ms", phases.scan_ms.into()),
            ("finish_ms", phases.finish_ms.into()),
            ("parts_ms", phases.parts_ms.into()),
        ],
    )?;
    let message = message_of(
        "done",
        &[
            ("parts", parts.into()),
            ("memory", JsValue::from(memory)),
            ("timings", timings.into()),
        ],
    )?;
    Ok((message, transfer))
}

/// `{kind, ...fields}`.
fn message_of(kind: &str, fields: &[(&str, JsValue)]) -> Result<Object, String> {
    let message = Object::new();
    let set = |key: &str, value: &JsValue| {
        Reflect::set(&message, &JsValue::from_str(key), value).map_err(|e| js_error(&e))
    };
    set("kind", &JsValue::from_str(kind))?;
    for (key, value) in fields {
        set(key, value)?;
    }
    Ok(message)
}

/// Posts progress to the page, at most every [`PROGRESS_EVERY_MS`] unless
/// asked to post now.
#[derive(Default)]
struct ProgressPost {
    last_ms: f64,
}

impl ProgressPost {
    fn post_if_due(&mut self, label: &str, done: usize, total: usize) {
        if now_ms() - self.last_ms >= PROGRESS_EVERY_MS {
            self.post(label, done, total);
        }
    }

    fn post(&mut self, label: &str, done: usize, total: usize) {
        self.last_ms = now_ms();
        let message = message_of(
            "progress",
            &[
                ("label", JsValue::from_str(label)),
                ("done", JsValue::from(done as f64)),
                ("total", JsValue::from(total as f64)),
            ],
        );
        if let Ok(message) = message {
            let _ = scope().post_message(&message);
        }
    }
}

fn now_ms() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

fn js_error(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

//! Turns what the user dropped or picked into an inventory, a slice at a time
//! so the page keeps painting and can show progress.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use chimera_shared::archive::{FIRST_TAIL_BYTES, Limits, WINDOW_BYTES, ZipScan};
use chimera_shared::classify;
use chimera_shared::inventory::{Content, Finishing, Inventory, InventoryBuilder};
use chimera_shared::timestamp::{Modified, TimeSource};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

/// How long one slice of work may hold the main thread before yielding.
const SLICE_MS: f64 = 12.0;

/// Progress of a load, as shown in the progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub label: String,
    pub done: usize,
    pub total: usize,
}

/// Reads a zip that is already in memory.
pub async fn inventory_zip_bytes(
    name: &str,
    bytes: Vec<u8>,
    limits: Limits,
    on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let scan = ZipScan::open(name, bytes, limits).map_err(|e| format!("{name}: {e}"))?;
    run_scan(name, scan, None, on_progress).await
}

/// Steps through a scan a slice of time at a time, loading the windows of
/// `file` it asks for when it is windowed.
async fn run_scan(
    name: &str,
    mut scan: ZipScan,
    file: Option<&web_sys::File>,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let total = scan.total_entries();
    // The next window, being read while the scan works through this one.
    let mut ahead: Option<Prefetch> = None;
    loop {
        if let (Some(file), Some(range)) = (file, scan.wanted(WINDOW_BYTES)) {
            let read = match ahead.take() {
                Some(prefetch) if prefetch.range == range => prefetch.bytes().await,
                _ => read_slice(file, range.start as f64, range.end as f64).await,
            };
            // A window that cannot be read leaves its entries unloaded:
            // `finish` lists them as unreadable, and the rest stands.
            match read {
                Ok(bytes) => scan.provide(range.start, bytes),
                Err(_) => break,
            }
            ahead = scan
                .following(WINDOW_BYTES)
                .map(|next| Prefetch::start(file.clone(), next));
        }
        let started = now_ms();
        let mut more = true;
        while more && now_ms() - started < SLICE_MS {
            let before = scan.done_entries();
            // One entry at a time: a few large files in a row (a sweep of
            // thousands of rows, a profiler capture) took 200 ms in one go
            // when entries went 64 at a time.
            more = scan.step(1);
            if scan.done_entries() == before {
                // Waiting for the next window.
                break;
            }
        }
        let keep_going = on_progress(Progress {
            label: format!("Reading {name}"),
            done: scan.done_entries(),
            total,
        });
        if !keep_going {
            return Ok(None);
        }
        if !more {
            break;
        }
        yield_to_browser().await;
    }
    // The totals (sorting every entry) take a task of their own, apart from
    // the first slice of the cross-file work.
    let finishing = scan.finishing();
    yield_to_browser().await;
    finish_in_steps(name, finishing, total, on_progress).await
}

/// The cross-file work, a slice at a time too: on a large folder it takes
/// several hundred milliseconds.
async fn finish_in_steps(
    name: &str,
    mut finishing: Finishing,
    total: usize,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    loop {
        let started = now_ms();
        let mut done = false;
        while !done && now_ms() - started < SLICE_MS {
            done = finishing.step();
        }
        if done {
            break;
        }
        if !on_progress(Progress {
            label: format!("Working out the statistics of {name}"),
            done: total,
            total,
        }) {
            return Ok(None);
        }
        yield_to_browser().await;
    }
    Ok(Some(Arc::new(finishing.inventory())))
}

/// Reads a zip file the user picked or dropped: its end first, for the
/// central directory, then a window of entries at a time, so the page holds
/// a few megabytes of the file rather than all of it. A file that does not
/// open that way (damaged, or not a zip) is read whole, to recover what can
/// be and say what is wrong.
pub async fn inventory_zip_file(
    file: web_sys::File,
    limits: Limits,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let name = file.name();
    let unreadable = |e: String| format!("{name}: could not read the file: {e}");
    let len = file.size() as u64;
    let mut tail = FIRST_TAIL_BYTES.min(len);
    let scan = loop {
        let bytes = read_slice(&file, (len - tail) as f64, len as f64)
            .await
            .map_err(unreadable)?;
        if tail == len {
            return inventory_zip_bytes(&name, bytes, limits, on_progress).await;
        }
        if let Some(scan) = ZipScan::open_windowed(&name, len, bytes, limits) {
            break scan;
        }
        if !on_progress(Progress {
            label: format!("Looking for the contents of {name}"),
            done: 0,
            total: 0,
        }) {
            return Ok(None);
        }
        tail = tail.saturating_mul(4).min(len);
    };
    run_scan(&name, scan, Some(&file), on_progress).await
}

/// A window of a file read in the background: the browser reads the file
/// while the module works, instead of the two taking turns.
struct Prefetch {
    range: std::ops::Range<u64>,
    result: Rc<RefCell<Option<WindowRead>>>,
    done: js_sys::Promise,
}

/// The bytes of a window, or why they could not be read.
type WindowRead = Result<Vec<u8>, String>;

impl Prefetch {
    fn start(file: web_sys::File, range: std::ops::Range<u64>) -> Prefetch {
        let result: Rc<RefCell<Option<WindowRead>>> = Rc::default();
        let slot = Rc::clone(&result);
        let (start, end) = (range.start as f64, range.end as f64);
        let done = wasm_bindgen_futures::future_to_promise(async move {
            let read = read_slice(&file, start, end).await;
            *slot.borrow_mut() = Some(read);
            Ok(JsValue::UNDEFINED)
        });
        Prefetch {
            range,
            result,
            done,
        }
    }

    async fn bytes(self) -> WindowRead {
        let _ = JsFuture::from(self.done).await;
        self.result
            .borrow_mut()
            .take()
            .unwrap_or_else(|| Err("the file could not be read".into()))
    }
}

/// Size of the buffer a file's bytes pass through on their way into the
/// module's memory.
const SCRATCH_BYTES: u32 = 1 << 20;

thread_local! {
    /// The buffer [`read_slice`] reads through, reused from call to call.
    /// A fresh `ArrayBuffer` per window (what `Blob.arrayBuffer()` gives)
    /// stays allocated until the garbage collector runs, which it rarely
    /// does while the module works: a 50 MB zip left tens of megabytes of
    /// them behind.
    static SCRATCH: std::cell::RefCell<Option<Uint8Array>> = const { std::cell::RefCell::new(None) };
}

/// Bytes `start..end` of a file, copied into the module's memory through
/// one reused buffer (a "bring your own buffer" stream reader).
async fn read_slice(file: &web_sys::File, start: f64, end: f64) -> Result<Vec<u8>, String> {
    let slice = file
        .slice_with_f64_and_f64(start, end)
        .map_err(|e| js_error(&e))?;
    let reader =
        web_sys::ReadableStreamByobReader::new(&slice.stream()).map_err(|e| js_error(&e))?;
    let wanted = (end - start).max(0.0) as usize;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(wanted)
        .map_err(|_| "not enough memory".to_string())?;
    let mut scratch = SCRATCH
        .with(|s| s.borrow_mut().take())
        .unwrap_or_else(|| Uint8Array::new_with_length(SCRATCH_BYTES));
    let result = loop {
        // The read takes the buffer over and hands it back, filled, as `value`.
        let view = Uint8Array::new(&scratch.buffer());
        let read = match JsFuture::from(reader.read_with_array_buffer_view(&view)).await {
            Ok(read) => read,
            Err(e) => break Err(js_error(&e)),
        };
        let done = js_sys::Reflect::get(&read, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        let value = js_sys::Reflect::get(&read, &"value".into())
            .ok()
            .and_then(|v| v.dyn_into::<Uint8Array>().ok());
        let Some(value) = value else {
            break Err("the file could not be read".into());
        };
        scratch = Uint8Array::new(&value.buffer());
        if done {
            break Ok(());
        }
        let at = bytes.len();
        bytes.resize(at + value.length() as usize, 0);
        value.copy_to(&mut bytes[at..]);
    };
    reader.release_lock();
    SCRATCH.with(|s| *s.borrow_mut() = Some(scratch));
    result.map(|()| bytes)
}

/// Fetches a zip from the companion (the bundled example) and reads it.
pub async fn inventory_zip_url(
    url: &str,
    name: &str,
    limits: Limits,
    on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {}", js_error(&e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("could not fetch {url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_error(&e))?)
        .await
        .map_err(|e| js_error(&e))?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    inventory_zip_bytes(name, bytes, limits, on_progress).await
}

/// Reads a folder picked with the folder button. Paths come from
/// `webkitRelativePath`, which starts with the picked folder's name.
pub async fn inventory_folder(
    files: Vec<web_sys::File>,
    limits: Limits,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let paths: Vec<String> = files.iter().map(relative_path).collect();
    let folder = paths
        .first()
        .and_then(|p| classify::top_folder(p))
        .unwrap_or("folder")
        .to_owned();
    let root = Some(format!("{folder}/"));
    let mut builder = InventoryBuilder::new(folder.clone(), root);
    builder.read_metrics(limits.read_metrics);
    let mut read_total = 0u64;
    let total = files.len();
    let mut slice_started = now_ms();
    for (index, (file, path)) in files.iter().zip(&paths).enumerate() {
        let size = file.size() as u64;
        let modified = Some(Modified::exact(
            (file.last_modified() / 1000.0) as i64,
            TimeSource::FileSystem,
        ));
        let parse = classify::is_read(path) && !classify::is_os_junk(path);
        if !parse {
            builder.add_file(path, size, modified, Content::Verified);
        } else if size > limits.max_entry_bytes || read_total + size > limits.max_total_bytes {
            let failed = Content::skipped("entry_too_large", "above the size limits; not read");
            builder.add_file(path, size, modified, failed);
        } else {
            match read_file(file).await {
                Ok(bytes) => {
                    read_total += bytes.len() as u64;
                    builder.add_file(path, size, modified, Content::Bytes(&bytes));
                }
                Err(error) => {
                    let failed =
                        Content::error("unreadable_entry", format!("could not read: {error}"));
                    builder.add_file(path, size, modified, failed);
                }
            }
        }
        if now_ms() - slice_started > SLICE_MS {
            if !on_progress(Progress {
                label: format!("Reading {folder}/"),
                done: index + 1,
                total,
            }) {
                return Ok(None);
            }
            yield_to_browser().await;
            slice_started = now_ms();
        }
    }
    on_progress(Progress {
        label: format!("Reading {folder}/"),
        done: total,
        total,
    });
    let finishing = builder.finishing();
    yield_to_browser().await;
    finish_in_steps(&folder, finishing, total, on_progress).await
}

fn relative_path(file: &web_sys::File) -> String {
    let relative = js_sys::Reflect::get(file, &"webkitRelativePath".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    if relative.is_empty() {
        file.name()
    } else {
        relative
    }
}

async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| js_error(&e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Lets the browser paint and handle input before the next slice of work.
///
/// A message posted to a channel queues a task at once. `setTimeout(0)`,
/// used before, is clamped to 4 ms once timers nest five deep, which every
/// long load does: with 12 ms slices a fifth of the time went to waiting.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        YIELDS.with(|yields| {
            let mut yields = yields.borrow_mut();
            if yields.is_none() {
                *yields = Yields::new();
            }
            match yields.as_mut() {
                Some(yields) => {
                    yields.waiting.borrow_mut().push_back(resolve);
                    let _ = yields.channel.port2().post_message(&JsValue::UNDEFINED);
                }
                None => {
                    if let Some(window) = web_sys::window() {
                        let _ = window
                            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
                    }
                }
            }
        });
    });
    let _ = JsFuture::from(promise).await;
}

/// The channel [`yield_to_browser`] posts to, and the loads waiting on it in
/// the order they posted (messages arrive in that order).
struct Yields {
    channel: web_sys::MessageChannel,
    waiting: Rc<RefCell<VecDeque<js_sys::Function>>>,
    _on_message: Closure<dyn FnMut()>,
}

impl Yields {
    fn new() -> Option<Yields> {
        let channel = web_sys::MessageChannel::new().ok()?;
        let waiting: Rc<RefCell<VecDeque<js_sys::Function>>> = Rc::default();
        let queue = Rc::clone(&waiting);
        let on_message = Closure::<dyn FnMut()>::new(move || {
            let next = queue.borrow_mut().pop_front();
            if let Some(resolve) = next {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        });
        channel
            .port1()
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Yields {
            channel,
            waiting,
            _on_message: on_message,
        })
    }
}

thread_local! {
    static YIELDS: RefCell<Option<Yields>> = const { RefCell::new(None) };
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn js_error(value: &wasm_bindgen::JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

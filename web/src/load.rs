//! Turns what the user dropped or picked into an inventory. The reading
//! itself happens in a Web Worker (the `chimera-reader` crate, started by
//! `reader.js`), so the page keeps painting and answering input however
//! large the folder; this side sends the job, shows its progress and puts
//! the finished inventory back together a part at a time.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use chimera_shared::inventory::Inventory;
use chimera_shared::transfer::Assembler;
use futures_channel::mpsc;
use futures_util::StreamExt;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

/// The worker's start-up script and its module, as `cargo xtask dist` lays
/// them out beside the page.
const READER_SCRIPT: &str = "/reader.js";
const READER_MODULE: &str = "/chimera_reader_bg.wasm";

/// A worker that has grown past this much memory is ended once its job is
/// done rather than kept for the next one: WebAssembly memory never shrinks,
/// and after a large folder it would hold tens of megabytes for nothing.
const KEEP_WORKER_BELOW_BYTES: f64 = 48.0 * 1024.0 * 1024.0;

/// How long the page may spend putting parts back together before it lets
/// the browser paint.
const SLICE_MS: f64 = 12.0;

/// Progress of a load, as shown in the progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub label: String,
    pub done: usize,
    pub total: usize,
    /// What `done` and `total` count.
    pub unit: &'static str,
}

/// What a load reads.
pub enum Job {
    /// A zip file the user dropped or picked.
    ZipFile(web_sys::File),
    /// A zip on the companion (the bundled example), and the name to show.
    Url { url: String, name: String },
    /// The files of a picked folder.
    Folder(Vec<web_sys::File>),
}

/// Reads `job` in a worker. `on_progress` returning false stops the load:
/// its worker is ended and `Ok(None)` returned.
pub async fn read(
    job: Job,
    read_metrics: bool,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    if let Job::ZipFile(file) = &job
        && !read_metrics
        && file.size() >= SPLIT_FROM_BYTES
    {
        return read_in_parts(file.clone(), on_progress).await;
    }
    let message = job_message(job, read_metrics)?;
    let mut worker = Reader::start().await?;
    worker
        .worker
        .post_message(&message)
        .map_err(|e| format!("could not start reading: {}", js_error(&e)))?;
    loop {
        let Some(reply) = worker.replies.next().await else {
            return Err("the reader stopped without an answer".into());
        };
        match text_field(&reply, "kind").as_deref() {
            Some("progress") => {
                if !on_progress(progress_of(&reply)) {
                    worker.end();
                    return Ok(None);
                }
            }
            Some("done") => {
                let memory = field(&reply, "memory").as_f64().unwrap_or(f64::INFINITY);
                if memory < KEEP_WORKER_BELOW_BYTES {
                    worker.keep();
                } else {
                    worker.end();
                }
                let parts: Array = field(&reply, "parts").unchecked_into();
                return assemble(&parts, &mut on_progress)
                    .await
                    .map(|inventory| inventory.map(Arc::new));
            }
            Some("error") => {
                worker.keep();
                return Err(failure_of(&reply));
            }
            // The worker could not start or died (a script error, or out of
            // memory); it is not kept.
            _ => {
                worker.end();
                return Err(failure_of(&reply));
            }
        }
    }
}

/// A worker's `progress` reply.
fn progress_of(reply: &JsValue) -> Progress {
    Progress {
        label: text_field(reply, "label").unwrap_or_default(),
        done: field(reply, "done").as_f64().unwrap_or(0.0) as usize,
        total: field(reply, "total").as_f64().unwrap_or(0.0) as usize,
        unit: "entries",
    }
}

/// What went wrong, from a worker's `error` reply (a reading that failed)
/// or any other (the worker could not start, or died).
fn failure_of(reply: &JsValue) -> String {
    let message = text_field(reply, "message");
    match (text_field(reply, "kind").as_deref(), message) {
        (Some("error"), Some(message)) => message,
        (Some("error"), None) => "the reader failed".into(),
        (_, message) => format!("the reader failed: {}", message.unwrap_or_default()),
    }
}

/// Zips from this size on, when their numbers are not read, are read by two
/// workers (see [`read_in_parts`]); below it, starting the second costs more
/// than it saves.
const SPLIT_FROM_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// Reads a zip's entries with two workers, each a part (the reader cuts
/// the zip where `chimera_shared::ZipScan::halves` says; one that cannot be
/// cut it reads alone). The helper sends its part to the reader, whose
/// answer is the whole inventory, the same as one worker's.
///
/// With the numbers read this is not done: the statistics need every file
/// in one place. Handing each file's bytes to a second worker that read the
/// numbers was tried: about 5% faster on the benchmark zip, for twice the
/// memory.
async fn read_in_parts(
    file: web_sys::File,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let mut reader = Reader::start().await?;
    let channel = match web_sys::MessageChannel::new() {
        Ok(channel) => channel,
        Err(e) => {
            reader.keep();
            return Err(js_error(&e));
        }
    };
    let start = |worker: &Reader, part: &str, port: web_sys::MessagePort| {
        let message = job_message(Job::ZipFile(file.clone()), false)?;
        let _ = Reflect::set(&message, &"part".into(), &part.into());
        Reflect::set(&message, &"peer".into(), &port)
            .and_then(|_| {
                worker
                    .worker
                    .post_message_with_transfer(&message, &Array::of1(&port))
            })
            .map_err(|e| format!("could not start reading: {}", js_error(&e)))
    };
    // The reader starts at once; the helper's part waits in the channel
    // until the reader has read its own.
    if let Err(e) = start(&reader, "first", channel.port1()) {
        reader.end();
        return Err(e);
    }
    let helper = match Reader::start().await {
        Ok(helper) => helper,
        Err(e) => {
            reader.end();
            return Err(e);
        }
    };
    if let Err(e) = start(&helper, "second", channel.port2()) {
        reader.end();
        helper.end();
        return Err(e);
    }
    // The helper's answer is an empty inventory: it only says it is done.
    // Until then, it failing fails the reading.
    let mut helper = Some(helper);
    loop {
        let (reply, from_helper) = match helper.as_mut() {
            Some(busy) => {
                match futures_util::future::select(reader.replies.next(), busy.replies.next()).await
                {
                    futures_util::future::Either::Left((reply, _)) => (reply, false),
                    futures_util::future::Either::Right((reply, _)) => (reply, true),
                }
            }
            None => (reader.replies.next().await, false),
        };
        let reply = reply.unwrap_or_default();
        let kind = text_field(&reply, "kind");
        let outcome = match (kind.as_deref(), from_helper) {
            (Some("progress"), true) => continue,
            (Some("done"), true) => {
                // Its memory is a few windows of the zip: kept for the next
                // load, if no other worker is.
                if let Some(done) = helper.take() {
                    done.keep();
                }
                continue;
            }
            (Some("progress"), false) => {
                if on_progress(progress_of(&reply)) {
                    continue;
                }
                Ok(None)
            }
            (Some("done"), false) => {
                let parts: Array = field(&reply, "parts").unchecked_into();
                assemble(&parts, &mut on_progress).await
            }
            _ => Err(failure_of(&reply)),
        };
        if let Some(busy) = helper.take() {
            busy.end();
        }
        return match outcome {
            Ok(Some(inventory)) => {
                reader.keep();
                Ok(Some(Arc::new(inventory)))
            }
            other => {
                reader.end();
                other.map(|_| None)
            }
        };
    }
}

/// Sends a job that is answered at once (see the reader's list) to a worker,
/// and returns its `done` answer.
pub async fn ask(message: &Object) -> Result<JsValue, String> {
    let mut worker = Reader::start().await?;
    worker
        .worker
        .post_message(message)
        .map_err(|e| format!("could not reach the worker: {}", js_error(&e)))?;
    let reply = worker.replies.next().await.unwrap_or_default();
    match text_field(&reply, "kind").as_deref() {
        Some("done") => {
            worker.keep();
            Ok(reply)
        }
        Some("error") => {
            worker.keep();
            Err(text_field(&reply, "message").unwrap_or_else(|| "the worker failed".into()))
        }
        _ => {
            worker.end();
            let message = text_field(&reply, "message").unwrap_or_default();
            Err(format!("the worker failed: {message}"))
        }
    }
}

/// The message that starts `job`.
fn job_message(job: Job, read_metrics: bool) -> Result<Object, String> {
    let message = Object::new();
    let set = |key: &str, value: JsValue| {
        Reflect::set(&message, &JsValue::from_str(key), &value)
            .map(|_| ())
            .map_err(|e| js_error(&e))
    };
    set("read_metrics", JsValue::from_bool(read_metrics))?;
    match job {
        Job::ZipFile(file) => {
            set("job", "zip".into())?;
            set("file", file.into())?;
        }
        Job::Url { url, name } => {
            set("job", "url".into())?;
            set("url", url.into())?;
            set("name", name.into())?;
        }
        Job::Folder(files) => {
            // Paths come from `webkitRelativePath`, which starts with the
            // picked folder's name.
            let paths: Array = files
                .iter()
                .map(|f| JsValue::from(relative_path(f)))
                .collect();
            let files: Array = files.into_iter().map(JsValue::from).collect();
            set("job", "folder".into())?;
            set("files", files.into())?;
            set("paths", paths.into())?;
        }
    }
    Ok(message)
}

/// Reads the parts of an inventory back, a slice of time at a time. Stops
/// (with `Ok(None)`) when `on_progress` says the load is no longer wanted.
async fn assemble(
    parts: &Array,
    on_progress: &mut impl FnMut(Progress) -> bool,
) -> Result<Option<Inventory>, String> {
    let mut assembler = Assembler::new();
    let total = parts.length() as usize;
    let mut started = now_ms();
    for (index, part) in parts.iter().enumerate() {
        let part: Uint8Array = part.unchecked_into();
        assembler.push(&part.to_vec())?;
        if now_ms() - started > SLICE_MS {
            let progress = Progress {
                label: "Receiving the inventory".into(),
                done: index + 1,
                total,
                unit: "parts",
            };
            if !on_progress(progress) {
                return Ok(None);
            }
            yield_to_browser().await;
            started = now_ms();
        }
    }
    let inventory = assembler.finish()?;
    // Drawn in a task of its own, not after the last slice of parts.
    yield_to_browser().await;
    Ok(Some(inventory))
}

fn relative_path(file: &web_sys::File) -> String {
    let relative = text_field(file, "webkitRelativePath").unwrap_or_default();
    if relative.is_empty() {
        file.name()
    } else {
        relative
    }
}

/// A started reader worker and the replies it posts.
struct Reader {
    worker: web_sys::Worker,
    replies: mpsc::UnboundedReceiver<JsValue>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    /// The reader's compiled module, compiled once and handed to every
    /// worker: a new worker then starts in milliseconds, and runs code the
    /// browser has already optimised.
    static MODULE: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
    /// A worker whose job is done, kept for the next load.
    static IDLE: RefCell<Option<Reader>> = const { RefCell::new(None) };
}

impl Reader {
    /// The idle worker, or a new one once it has started.
    async fn start() -> Result<Reader, String> {
        if let Some(idle) = IDLE.with(|idle| idle.borrow_mut().take()) {
            return Ok(idle);
        }
        let module = match JsFuture::from(compiled_module()).await {
            Ok(module) => module,
            Err(e) => {
                // Fetched and compiled again next time: the failure may pass.
                MODULE.with(|module| module.borrow_mut().take());
                return Err(format!("could not load the reader: {}", js_error(&e)));
            }
        };
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options(READER_SCRIPT, &options)
            .map_err(|e| format!("could not start the reader: {}", js_error(&e)))?;
        let (sender, replies) = mpsc::unbounded();
        let on_message = {
            let sender = sender.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let _ = sender.unbounded_send(event.data());
            })
        };
        // A script that fails to load or a worker that dies is an `error`
        // event on the worker, not a message.
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let text = text_field(&event, "message").unwrap_or_else(|| "the worker stopped".into());
            let reply = Object::new();
            let _ = Reflect::set(&reply, &"kind".into(), &"failed".into());
            let _ = Reflect::set(&reply, &"message".into(), &text.into());
            let _ = sender.unbounded_send(reply.into());
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut reader = Reader {
            worker,
            replies,
            _on_message: on_message,
            _on_error: on_error,
        };
        reader
            .worker
            .post_message(&module)
            .map_err(|e| format!("could not start the reader: {}", js_error(&e)))?;
        let ready = reader.replies.next().await.unwrap_or_default();
        if text_field(&ready, "kind").as_deref() != Some("ready") {
            let message = text_field(&ready, "message").unwrap_or_default();
            reader.end();
            return Err(format!("could not start the reader: {message}"));
        }
        Ok(reader)
    }

    /// Keeps this worker for the next load (one is kept; a second is ended).
    fn keep(self) {
        let previous = IDLE.with(|idle| idle.borrow_mut().replace(self));
        if let Some(previous) = previous {
            previous.end();
        }
    }

    fn end(self) {
        // Replies already queued on this side are not delivered to the
        // handlers dropped with `self`.
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// The reader's module, fetched and compiled on first use.
fn compiled_module() -> js_sys::Promise {
    MODULE.with(|module| {
        module
            .borrow_mut()
            .get_or_insert_with(|| {
                let window = web_sys::window().expect("the page has a window");
                let response = window.fetch_with_str(READER_MODULE);
                js_sys::WebAssembly::compile_streaming(&response)
            })
            .clone()
    })
}

/// Lets the browser paint and handle input before the next slice of work.
///
/// A message posted to a channel queues a task at once. `setTimeout(0)` is
/// clamped to 4 ms once timers nest five deep.
pub async fn yield_to_browser() {
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

/// The channel [`yield_to_browser`] posts to, and the tasks waiting on it in
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

/// A property of a JavaScript object (undefined when there is none).
pub(crate) fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or_default()
}

/// A property of a JavaScript object that holds text.
fn text_field(object: &JsValue, name: &str) -> Option<String> {
    field(object, name).as_string()
}

/// The message of a JavaScript error, or the value itself when it is text.
pub(crate) fn js_error(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

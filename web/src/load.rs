//! Turns what the user dropped or picked into an inventory, a slice at a time
//! so the page keeps painting and can show progress.

use std::sync::Arc;

use chimera_shared::archive::{Limits, ZipScan};
use chimera_shared::classify::{self, FileType};
use chimera_shared::inventory::{Content, Inventory, InventoryBuilder};
use chimera_shared::timestamp::{Modified, TimeSource};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How long one slice of work may hold the main thread before yielding.
const SLICE_MS: f64 = 12.0;

/// Progress of a load, as shown in the progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub label: String,
    pub done: usize,
    pub total: usize,
    /// What `done` and `total` count: `entries` or `MB`.
    pub unit: &'static str,
}

/// Reads a zip that is already in memory.
pub async fn inventory_zip_bytes(
    name: &str,
    bytes: Vec<u8>,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let mut scan =
        ZipScan::open(name, bytes, Limits::default()).map_err(|e| format!("{name}: {e}"))?;
    let total = scan.total_entries();
    loop {
        let started = now_ms();
        let mut more = true;
        while more && now_ms() - started < SLICE_MS {
            more = scan.step(64);
        }
        let keep_going = on_progress(Progress {
            label: format!("Reading {name}"),
            done: scan.done_entries(),
            total,
            unit: "entries",
        });
        if !keep_going {
            return Ok(None);
        }
        if !more {
            break;
        }
        yield_to_browser().await;
    }
    Ok(Some(Arc::new(scan.finish())))
}

/// Reads a zip file the user picked or dropped.
pub async fn inventory_zip_file(
    file: web_sys::File,
    mut on_progress: impl FnMut(Progress) -> bool,
) -> Result<Option<Arc<Inventory>>, String> {
    let name = file.name();
    let Some(bytes) = read_file_in_slices(&file, &name, &mut on_progress)
        .await
        .map_err(|e| format!("{name}: could not read the file: {e}"))?
    else {
        return Ok(None);
    };
    inventory_zip_bytes(&name, bytes, on_progress).await
}

/// How much of a picked file is copied into the module's memory at a time.
const READ_SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Copies a file into the module's memory a slice at a time. Reading it
/// whole would hold a second copy of the file in the browser (the
/// `ArrayBuffer`) until the garbage collector frees it: with a 50 MB zip,
/// 50 MB more at the peak. `None` when a newer load took over.
async fn read_file_in_slices(
    file: &web_sys::File,
    name: &str,
    on_progress: &mut impl FnMut(Progress) -> bool,
) -> Result<Option<Vec<u8>>, String> {
    let size = file.size();
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(size as usize)
        .map_err(|_| format!("not enough memory for {}", human_size(size)))?;
    let mut start = 0.0;
    while start < size {
        let end = (start + READ_SLICE_BYTES).min(size);
        let slice = file
            .slice_with_f64_and_f64(start, end)
            .map_err(|e| js_error(&e))?;
        let buffer = JsFuture::from(slice.array_buffer())
            .await
            .map_err(|e| js_error(&e))?;
        let chunk = Uint8Array::new(&buffer);
        let at = bytes.len();
        bytes.resize(at + chunk.length() as usize, 0);
        chunk.copy_to(&mut bytes[at..]);
        start = end;
        if size > READ_SLICE_BYTES
            && !on_progress(Progress {
                label: format!("Copying {name} into the page"),
                done: (start / 1024.0 / 1024.0) as usize,
                total: (size / 1024.0 / 1024.0).ceil() as usize,
                unit: "MB",
            })
        {
            return Ok(None);
        }
    }
    Ok(Some(bytes))
}

fn human_size(bytes: f64) -> String {
    chimera_shared::inventory::human_bytes(bytes as u64)
}

/// Fetches a zip from the companion (the bundled example) and reads it.
pub async fn inventory_zip_url(
    url: &str,
    name: &str,
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
    inventory_zip_bytes(name, bytes, on_progress).await
}

/// Reads a folder picked with the folder button. Paths come from
/// `webkitRelativePath`, which starts with the picked folder's name.
pub async fn inventory_folder(
    files: Vec<web_sys::File>,
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
    let limits = Limits::default();
    let mut read_total = 0u64;
    let total = files.len();
    let mut slice_started = now_ms();
    for (index, (file, path)) in files.iter().zip(&paths).enumerate() {
        let size = file.size() as u64;
        let modified = Some(Modified::exact(
            (file.last_modified() / 1000.0) as i64,
            TimeSource::FileSystem,
        ));
        let parse = FileType::of_path(path) != FileType::Other && !classify::is_os_junk(path);
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
                unit: "entries",
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
        unit: "entries",
    });
    Ok(Some(Arc::new(builder.finish())))
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
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
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

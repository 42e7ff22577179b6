// backprop stepper: shows step k of the derivation. All text comes from the embedded JSON
// (written by Python, the same as the terminal and --format json); this script does no maths
// and writes user text with textContent only.
//
// Each stepper is an element [data-bp-stepper] holding a <template>; this script gives every
// such element that has none yet a shadow root with the template inside. So a notebook with
// several results runs several independent steppers (own ids, own styles, own keys), and the
// notebook's styles do not reach in. Keys are taken while focus is inside a stepper, and on a
// page that is a single stepper, also when nothing else has focus.
"use strict";
(function () {
  const standalone = !!document.head && !!document.head.querySelector('meta[name="generator"][content="backprop"]');
  for (const host of document.querySelectorAll("[data-bp-stepper]")) {
    if (host.shadowRoot || !host.querySelector(":scope > template")) continue;
    const root = host.attachShadow({ mode: "open" });
    root.append(host.querySelector(":scope > template").content.cloneNode(true));
    start(host, root, standalone);
  }

  function start(host, root, onItsOwnPage) {
    const $ = (id) => root.getElementById(id);
    const data = JSON.parse($("bp-data").textContent);
    const view = data.view;
    // the reverse-mode steps, then (with --mode forward) forward mode's tangent sweeps
    const steps = data.document.steps.map((step, index) => Object.assign({}, step, view.steps[index]))
      .concat(view.tangent ? view.tangent.steps : []);
    const total = steps.length;
    const phaseTotals = {};
    for (const step of steps) step.inPhase = phaseTotals[step.phase] = (phaseTotals[step.phase] || 0) + 1;
    const app = root.querySelector(".bp-app");
    const viewport = $("bp-viewport");
    // two layouts of one graph: as drawn (left to right), and top-down for a narrow portrait screen
    const wide = viewport.querySelector(":scope > svg");
    const portrait = $("bp-portrait");
    const tall = portrait ? portrait.content.querySelector("svg") : null;
    let svg = wide;
    const buttons = { reset: $("bp-reset"), prev: $("bp-prev"), next: $("bp-next"), play: $("bp-play") };
    const nodeByKey = new Map(view.nodes.map((node) => [node.key, node]));
    // id → element of the drawing shown (an SVG element's getElementById walks its whole tree)
    let byId = new Map();
    function index() {
      byId = new Map(svg ? Array.from(svg.querySelectorAll("[id]"), (element) => [element.id, element]) : []);
    }
    index();
    const svgNode = (key) => byId.get(key) || null;
    const stepMarks = ["bp-current", "bp-operand", "bp-source-node", "bp-active", "bp-flow-fwd", "bp-flow-bwd",
      "bp-flow-tan", "bp-fed", "bp-new", "bp-arriving"];
    let current = 0;
    let timer = null;
    let zoom = 1;

    // ---- the state of step k ----
    function clearMarks(marks) {
      if (!svg) return;
      for (const name of marks) {
        for (const element of svg.querySelectorAll("." + name)) {
          element.classList.remove(name);
          element.style.removeProperty("--delay");
        }
      }
    }

    function mark(key, name, delay) {
      const element = svgNode(key);
      if (!element) return;
      element.classList.add(name);
      if (delay !== undefined) element.style.setProperty("--delay", delay + "s");
    }

    function show(k) {
      current = Math.max(0, Math.min(total, k));
      const step = current > 0 ? steps[current - 1] : null;
      const phase = step ? step.phase : "start";
      app.classList.toggle("bp-fwd", phase === "forward");
      app.classList.toggle("bp-bwd", phase === "backward");
      app.classList.toggle("bp-tan", phase === "tangent");
      host.dataset.step = String(current);

      // values and gradients known so far
      for (const node of view.nodes) {
        const element = svgNode(node.key);
        if (!element) continue;
        element.classList.toggle("bp-value-hidden", !known(node.value_step));
        element.classList.toggle("bp-grad-hidden", !known(node.grad_step));
      }

      clearMarks(stepMarks);
      // a style flush, so that an animation class taken off above and put back below plays again
      if (svg) svg.getBoundingClientRect();
      const pathList = $("bp-paths");
      pathList.replaceChildren();
      pathList.hidden = true;
      if (step && step.node !== null) {
        const key = "v" + step.node;
        mark(key, "bp-current");
        mark(key, "bp-new");
        if (step.phase === "backward") {
          // each path's contribution arrives in turn, then the sum appears in the node
          const gap = step.paths.length > 1 ? Math.min(0.7, 3.5 / step.paths.length) : 0;
          step.paths.forEach((path, index) => {
            for (const edge of path.edges) mark(edge, "bp-flow-bwd", index * gap);
            mark(path.from, "bp-source-node");
            const item = document.createElement("li");
            writeText(item, path.text);
            item.style.animationDelay = index * gap + "s";
            // pointing at a contribution lights the edges it arrives along
            item.tabIndex = 0;
            item.dataset.edges = path.edges.join(" ");
            item.dataset.nodes = `${path.from} ${key}`;
            for (const [type, button] of [["pointerenter", item], ["focus", item], ["pointerleave", null], ["blur", null]]) {
              item.addEventListener(type, () => lightPath(button));
            }
            pathList.append(item);
          });
          const node = svgNode(key);
          if (node) node.style.setProperty("--delay", step.paths.length * gap + "s");
          pathList.hidden = step.paths.length < 2;
        } else {
          if (step.op) mark(step.op, "bp-active");
          for (const operand of step.operands) mark(operand, "bp-operand");
          const flow = step.phase === "forward" ? "bp-flow-fwd" : "bp-flow-tan";
          for (const edge of step.edges) mark(edge, flow);
        }
        if (step.phase === "tangent") {
          // the nodes this sweep's tangent has reached so far
          for (let i = current - 1; i >= 0 && steps[i].sweep === step.sweep; i--) {
            if (steps[i].node !== null) mark("v" + steps[i].node, "bp-fed");
          }
        }
        for (const edge of svg ? svg.querySelectorAll(".bp-flow-bwd, .bp-flow-fwd, .bp-flow-tan") : []) {
          edge.classList.add("bp-arriving");
        }
      }

      // panel
      $("bp-counter").textContent = `Step ${current} / ${total}`;
      const phaseTitle = { start: "Step 0: the graph and its inputs", forward: "Forward pass", backward: "Backward pass",
        tangent: "Forward mode" };
      let heading = phaseTitle[phase];
      if (step) heading += ` · step ${step.inPhase} of ${phaseTotals[step.phase]}`;
      $("bp-phase").textContent = heading;
      $("bp-phase-note").textContent = step
        ? (step.phase === "tangent" ? view.tangent.note : view.phases[step.phase])
        : "Press Next (or →) to compute the nodes one at a time, then send the gradients back.";
      writeText($("bp-text"), step ? step.text : view.start);

      // summary table
      for (const row of root.querySelectorAll("#bp-table tbody tr")) {
        const node = nodeByKey.get(row.dataset.node);
        fill(row.querySelector(".bp-cell-value"), known(node.value_step));
        fill(row.querySelector(".bp-cell-grad"), known(node.grad_step));
        const tangent = row.querySelector(".bp-cell-tangent");
        if (tangent) fill(tangent, known(Number(tangent.dataset.step)));
        row.classList.toggle("bp-row-current", !!step && row.dataset.node === "v" + step.node);
      }

      updateList();
      buttons.prev.setAttribute("aria-disabled", String(current === 0));
      buttons.reset.setAttribute("aria-disabled", String(current === 0));
      buttons.next.setAttribute("aria-disabled", String(current === total));
      $("bp-announce").textContent = `Step ${current} of ${total}. ${heading}. ${step ? step.text : view.start}`;
      if (step && step.node !== null) follow("v" + step.node);
      if (cardNode && !tooltip.hidden) card(cardNode); // the open card follows the step
    }

    // The text as it is, each run of non-spaces unbreakable: a line may break between terms, never
    // inside one (browsers break after the "/" of ∂b/∂u or at "·" otherwise).
    function writeText(element, text) {
      element.replaceChildren(...text.split(/(\s+)/).filter((part) => part).map((part) => {
        if (/^\s/.test(part)) return document.createTextNode(part);
        const word = document.createElement("span");
        word.className = "bp-word";
        word.textContent = part;
        return word;
      }));
    }

    function known(stepNumber) {
      return stepNumber !== null && current >= stepNumber;
    }

    function fill(cell, isKnown) {
      if (cell.classList.contains("bp-known") === isKnown && cell.firstChild) return; // unchanged: no relayout
      cell.textContent = isKnown ? cell.dataset.known : "?";
      cell.classList.toggle("bp-known", isKnown);
    }

    // "Steps so far": built once; a step changes only the items between the old and the new
    // position (a big graph has thousands of steps)
    let listed = 0;
    function updateList() {
      const list = $("bp-list");
      if (list.children.length === 0) {
        steps.forEach((step, index) => {
          const item = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = step.text.split("\n")[0];
          button.addEventListener("click", () => { stop(); show(index + 1); });
          item.append(button);
          item.hidden = true;
          list.append(item);
        });
      }
      const items = list.children;
      for (let i = Math.min(listed, current); i < Math.max(listed, current); i++) items[i].hidden = i >= current;
      if (listed > 0) items[listed - 1].classList.remove("bp-list-current");
      if (current > 0) items[current - 1].classList.add("bp-list-current");
      listed = current;
    }

    // keep the current node in view when zoomed in
    function follow(key) {
      const element = svgNode(key);
      if (!element || viewport.scrollWidth <= viewport.clientWidth && viewport.scrollHeight <= viewport.clientHeight) return;
      const box = element.getBoundingClientRect();
      const frame = viewport.getBoundingClientRect();
      if (box.left < frame.left || box.right > frame.right) {
        viewport.scrollLeft += box.left - frame.left - (frame.width - box.width) / 2;
      }
      if (box.top < frame.top || box.bottom > frame.bottom) {
        viewport.scrollTop += box.top - frame.top - (frame.height - box.height) / 2;
      }
    }

    // ---- controls ----
    function stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      buttons.play.setAttribute("aria-pressed", "false");
      buttons.play.textContent = "▶ Play";
    }

    function play() {
      if (current === total) show(0);
      buttons.play.setAttribute("aria-pressed", "true");
      buttons.play.textContent = "‖ Pause";
      timer = setInterval(() => {
        if (current >= total) stop();
        else show(current + 1);
      }, Number($("bp-speed").value));
    }

    buttons.next.addEventListener("click", () => { stop(); show(current + 1); });
    buttons.prev.addEventListener("click", () => { stop(); show(current - 1); });
    buttons.reset.addEventListener("click", () => { stop(); show(0); });
    buttons.play.addEventListener("click", () => (timer === null ? play() : stop()));
    $("bp-speed").addEventListener("change", () => { if (timer !== null) { stop(); play(); } });
    $("bp-skip").addEventListener("click", (event) => { event.preventDefault(); buttons.next.focus(); });

    function onKey(event, target) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
      // a select or a text field keeps its own arrow keys; the graph view does not: it pans by dragging
      if (target instanceof HTMLSelectElement || target instanceof HTMLInputElement
        || target instanceof HTMLTextAreaElement || target.isContentEditable) return;
      const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: total };
      if (!(event.key in moves)) return;
      event.preventDefault();
      stop();
      show(moves[event.key]);
    }
    // only keys pressed while focus is in this stepper (composedPath()[0]: the element inside the shadow root)
    host.addEventListener("keydown", (event) => onKey(event, event.composedPath()[0]));
    if (onItsOwnPage) {
      // (counted when the key comes: a page may hold more steppers further down)
      document.addEventListener("keydown", (event) => {
        const unfocused = event.target === document.body || event.target === document.documentElement;
        if (unfocused && document.querySelectorAll("[data-bp-stepper]").length === 1) onKey(event, event.target);
      });
    }

    // ---- zoom and pan ----
    const naturalSize = (element) => ({ width: element.viewBox.baseVal.width, height: element.viewBox.baseVal.height });
    let natural = svg ? naturalSize(svg) : null;
    function setZoom(value) {
      if (!svg) return;
      zoom = Math.max(0.2, Math.min(4, value));
      svg.style.width = natural.width * zoom + "px";
    }
    function fitZoom(size = natural) {
      return size ? Math.min(1.6, (viewport.clientWidth - 8) / size.width) : 1;
    }
    function fit() {
      setZoom(fitZoom()); // the whole graph, however small its text gets (an overview)
    }
    function startZoom() {
      // On a narrow screen, the layout whose width fits better (top-down on a phone).
      const narrow = viewport.clientWidth < 600;
      const wanted = narrow && tall && fitZoom(naturalSize(tall)) > fitZoom(naturalSize(wide)) ? tall : wide;
      if (wanted && wanted !== svg) {
        svg.replaceWith(wanted);
        svg = wanted;
        index();
        natural = naturalSize(svg);
        show(current); // the marks of this step, on the new drawing
        lightPath(null);
      }
      // Fit the width, but keep labels readable: about 12 px and up on a wide screen; on a phone
      // the whole of a small graph (down to about 8 px) beats half of it, and a big one pans.
      const fitted = fitZoom();
      setZoom(narrow && fitted >= 0.55 ? fitted : Math.max(0.9, fitted));
    }
    $("bp-zoom-in").addEventListener("click", () => setZoom(zoom * 1.25));
    $("bp-zoom-out").addEventListener("click", () => setZoom(zoom / 1.25));
    $("bp-zoom-fit").addEventListener("click", fit);
    viewport.addEventListener("wheel", (event) => {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      setZoom(zoom * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
    let drag = null;
    let pointerType = "mouse";
    viewport.addEventListener("pointerdown", (event) => {
      pointerType = event.pointerType;
      if (event.button !== 0 || event.pointerType === "touch") return; // a finger pans natively
      drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
      viewport.classList.add("bp-dragging");
    });
    window.addEventListener("pointermove", (event) => {
      if (!drag) return;
      viewport.scrollLeft = drag.left - (event.clientX - drag.x);
      viewport.scrollTop = drag.top - (event.clientY - drag.y);
    });
    window.addEventListener("pointerup", () => { drag = null; viewport.classList.remove("bp-dragging"); });

    // ---- hover card (a tap opens it on a touch screen) ----
    const tooltip = $("bp-tooltip");
    let cardNode = null;
    function card(node) {
      cardNode = node;
      const valueKnown = known(node.value_step);
      const gradKnown = known(node.grad_step);
      const lines = [];
      const title = document.createElement("b");
      title.textContent = node.name;
      lines.push(title);
      const add = (text, cls) => {
        const line = document.createElement("div");
        line.textContent = text;
        if (cls) line.className = cls;
        lines.push(line);
      };
      add(node.what, "bp-tip-muted");
      add("value: " + (valueKnown ? node.value : `? (forward step ${node.value_step})`), "bp-tip-value");
      if (node.grad !== null) {
        add(gradKnown ? node.grad : `gradient: ? (step ${node.grad_step})`, "bp-tip-grad");
      }
      if (node.locals.length) {
        add("local derivatives:", "bp-tip-muted");
        for (const local of node.locals) add("  " + (valueKnown ? local.value : local.symbolic));
      }
      tooltip.replaceChildren(...lines);
    }
    function placeAt(x, y) {
      const left = Math.min(x + 14, window.innerWidth - tooltip.offsetWidth - 8);
      const top = y + 16 + tooltip.offsetHeight > window.innerHeight ? y - tooltip.offsetHeight - 12 : y + 16;
      tooltip.style.left = Math.max(4, left) + "px";
      tooltip.style.top = Math.max(4, top) + "px";
    }
    function nodeFor(element) {
      const group = element.closest && element.closest("g.node");
      if (!group) return null;
      const key = group.id.startsWith("o") ? "v" + group.id.slice(1) : group.id;
      return nodeByKey.get(key) || null;
    }
    function hide() {
      tooltip.hidden = true;
      cardNode = null;
    }
    {
      viewport.addEventListener("pointerover", (event) => {
        if (event.pointerType === "touch") return;
        const node = nodeFor(event.target);
        if (!node) { hide(); return; }
        card(node);
        tooltip.hidden = false;
        placeAt(event.clientX, event.clientY);
      });
      viewport.addEventListener("pointermove", (event) => {
        if (!tooltip.hidden && event.pointerType !== "touch") placeAt(event.clientX, event.clientY);
      });
      viewport.addEventListener("pointerleave", (event) => { if (event.pointerType !== "touch") hide(); });
      viewport.addEventListener("click", (event) => {
        if (pointerType !== "touch") return;
        const node = nodeFor(event.target);
        if (!node || node === cardNode && !tooltip.hidden) { hide(); return; }
        card(node);
        tooltip.hidden = false;
        const box = event.target.closest("g.node").getBoundingClientRect();
        placeAt(box.left, box.bottom);
      });
    }
    root.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "touch" && !(svg && svg.contains(event.composedPath()[0]))) hide();
    });

    // ---- sums over paths (--paths) and lint findings: hovering or choosing a term lights its
    // path; a finding lights its node (and a long product's path) in the lint colour ----
    let chosenPath = null;
    function lightPath(button) {
      clearMarks(["bp-path-edge", "bp-path-node", "bp-lint-edge", "bp-lint-node"]);
      const shown = button || chosenPath;
      if (!shown) return;
      const lint = shown.classList.contains("bp-lint-finding");
      for (const key of shown.dataset.edges.split(" ")) if (key) mark(key, lint ? "bp-lint-edge" : "bp-path-edge");
      for (const key of shown.dataset.nodes.split(" ")) if (key) mark(key, lint ? "bp-lint-node" : "bp-path-node");
      const first = shown.dataset.nodes.split(" ")[0];
      if (lint && first) follow(first); // a finding's node may be off screen in a big, zoomed graph
    }
    for (const button of root.querySelectorAll(".bp-path-term")) {
      button.addEventListener("pointerenter", () => lightPath(button));
      button.addEventListener("pointerleave", () => lightPath(null));
      button.addEventListener("focus", () => lightPath(button));
      button.addEventListener("blur", () => lightPath(null));
      button.addEventListener("click", () => {
        const again = chosenPath === button;
        if (chosenPath) chosenPath.setAttribute("aria-pressed", "false");
        chosenPath = again ? null : button;
        button.setAttribute("aria-pressed", String(!again));
        lightPath(again ? null : button);
      });
    }

    startZoom();
    let width = window.innerWidth;
    window.addEventListener("resize", () => {
      if (window.innerWidth !== width) startZoom();
      width = window.innerWidth;
    });
    show(0);
  }
})();

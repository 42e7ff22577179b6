// backprop stepper: shows step k of the derivation. All text comes from the embedded JSON
// (written by Python, the same as the terminal and --format json); this script does no maths
// and writes user text with textContent only.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("bp-data").textContent);
  const steps = data.document.steps;
  const view = data.view;
  const total = steps.length;
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#bp-viewport svg");
  const viewport = $("bp-viewport");
  const buttons = { reset: $("bp-reset"), prev: $("bp-prev"), next: $("bp-next"), play: $("bp-play") };
  const nodeByKey = new Map(view.nodes.map((node) => [node.key, node]));
  const svgNode = (key) => (svg ? svg.getElementById(key) : null);
  let current = 0;
  let timer = null;
  let zoom = 1;

  // ---- the state of step k ----
  function clearMarks() {
    if (!svg) return;
    const marks = ["bp-current", "bp-operand", "bp-source-node", "bp-active", "bp-flow-fwd", "bp-flow-bwd", "bp-new"];
    for (const mark of marks) {
      for (const element of svg.querySelectorAll("." + mark)) {
        element.classList.remove(mark);
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
    const extra = current > 0 ? view.steps[current - 1] : null;
    const phase = step ? step.phase : "start";
    document.body.classList.toggle("bp-fwd", phase === "forward");
    document.body.classList.toggle("bp-bwd", phase === "backward");
    document.documentElement.dataset.step = String(current);

    // values and gradients known so far
    for (const node of view.nodes) {
      const element = svgNode(node.key);
      if (!element) continue;
      const valueKnown = node.value_step !== null && current >= node.value_step;
      const gradKnown = node.grad_step !== null && current >= node.grad_step;
      element.classList.toggle("bp-value-hidden", !valueKnown);
      element.classList.toggle("bp-grad-hidden", !gradKnown);
    }

    clearMarks();
    const pathList = $("bp-paths");
    pathList.replaceChildren();
    pathList.hidden = true;
    if (step) {
      const key = "v" + step.node;
      mark(key, "bp-current");
      mark(key, "bp-new");
      if (step.phase === "forward") {
        mark(extra.op, "bp-active");
        for (const operand of extra.operands) mark(operand, "bp-operand");
        for (const edge of extra.edges) mark(edge, "bp-flow-fwd");
      } else {
        // each path's contribution arrives in turn, then the sum appears in the node
        const gap = extra.paths.length > 1 ? Math.min(0.7, 3.5 / extra.paths.length) : 0;
        extra.paths.forEach((path, index) => {
          for (const edge of path.edges) mark(edge, "bp-flow-bwd", index * gap);
          mark(path.from, "bp-source-node");
          const item = document.createElement("li");
          item.textContent = path.text;
          item.style.animationDelay = index * gap + "s";
          pathList.append(item);
        });
        const node = svgNode(key);
        if (node) node.style.setProperty("--delay", extra.paths.length * gap + "s");
        pathList.hidden = extra.paths.length < 2;
      }
      for (const edge of svg ? svg.querySelectorAll(".bp-flow-bwd, .bp-flow-fwd") : []) edge.classList.add("bp-arriving");
    }

    // panel
    $("bp-counter").textContent = `Step ${current} / ${total}`;
    const phaseTitle = { start: "Step 0: the graph and its inputs", forward: "Forward pass", backward: "Backward pass" };
    let heading = phaseTitle[phase];
    if (step) {
      const inPhase = steps.filter((s) => s.phase === step.phase);
      heading += ` · step ${inPhase.indexOf(step) + 1} of ${inPhase.length}`;
    }
    $("bp-phase").textContent = heading;
    $("bp-phase-note").textContent = step
      ? view.phases[step.phase]
      : "Press Next (or →) to compute the nodes one at a time, then send the gradients back.";
    $("bp-text").textContent = step ? step.text : view.start;

    // summary table
    for (const row of document.querySelectorAll("#bp-table tbody tr")) {
      const node = nodeByKey.get(row.dataset.node);
      const valueKnown = node.value_step !== null && current >= node.value_step;
      const gradKnown = node.grad_step !== null && current >= node.grad_step;
      fill(row.querySelector(".bp-cell-value"), valueKnown);
      fill(row.querySelector(".bp-cell-grad"), gradKnown);
      row.classList.toggle("bp-row-current", !!step && row.dataset.node === "v" + step.node);
    }

    updateList();
    buttons.prev.setAttribute("aria-disabled", String(current === 0));
    buttons.reset.setAttribute("aria-disabled", String(current === 0));
    buttons.next.setAttribute("aria-disabled", String(current === total));
    $("bp-announce").textContent = `Step ${current} of ${total}. ${heading}. ${step ? step.text : view.start}`;
    if (step) follow("v" + step.node);
  }

  function fill(cell, known) {
    cell.textContent = known ? cell.dataset.known : "?";
    cell.classList.toggle("bp-known", known);
  }

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
        list.append(item);
      });
    }
    Array.from(list.children).forEach((item, index) => {
      item.hidden = index >= current;
      item.classList.toggle("bp-list-current", index === current - 1);
    });
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

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof HTMLSelectElement || target instanceof HTMLInputElement || target === viewport) return;
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: total };
    if (!(event.key in moves)) return;
    event.preventDefault();
    stop();
    show(moves[event.key]);
  });

  // ---- zoom and pan ----
  const natural = svg ? { width: svg.viewBox.baseVal.width, height: svg.viewBox.baseVal.height } : null;
  function setZoom(value) {
    if (!svg) return;
    zoom = Math.max(0.2, Math.min(4, value));
    svg.style.width = natural.width * zoom + "px";
  }
  function fitZoom() {
    return natural ? Math.min(1.6, (viewport.clientWidth - 8) / natural.width) : 1;
  }
  function fit() {
    setZoom(fitZoom()); // the whole graph, however small its text gets (an overview)
  }
  function start() {
    // fit the width, but keep labels readable (about 12 px and up): a big graph then pans
    setZoom(Math.max(0.9, fitZoom()));
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
  viewport.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
    viewport.classList.add("bp-dragging");
  });
  window.addEventListener("pointermove", (event) => {
    if (!drag) return;
    viewport.scrollLeft = drag.left - (event.clientX - drag.x);
    viewport.scrollTop = drag.top - (event.clientY - drag.y);
  });
  window.addEventListener("pointerup", () => { drag = null; viewport.classList.remove("bp-dragging"); });

  // ---- hover card ----
  const tooltip = $("bp-tooltip");
  function card(node) {
    const valueKnown = node.value_step !== null && current >= node.value_step;
    const gradKnown = node.grad_step !== null && current >= node.grad_step;
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
  function place(event) {
    const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
    const y = event.clientY + 16 + tooltip.offsetHeight > window.innerHeight
      ? event.clientY - tooltip.offsetHeight - 12 : event.clientY + 16;
    tooltip.style.left = Math.max(4, x) + "px";
    tooltip.style.top = Math.max(4, y) + "px";
  }
  function nodeFor(element) {
    const group = element.closest && element.closest("g.node");
    if (!group) return null;
    const key = group.id.startsWith("o") ? "v" + group.id.slice(1) : group.id;
    return nodeByKey.get(key) || null;
  }
  if (svg) {
    svg.addEventListener("pointerover", (event) => {
      const node = nodeFor(event.target);
      if (!node) { tooltip.hidden = true; return; }
      card(node);
      tooltip.hidden = false;
      place(event);
    });
    svg.addEventListener("pointermove", (event) => { if (!tooltip.hidden) place(event); });
    svg.addEventListener("pointerleave", () => { tooltip.hidden = true; });
  }

  start();
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (window.innerWidth !== width) start();
    width = window.innerWidth;
  });
  show(0);
})();

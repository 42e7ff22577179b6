// backprop practice page: asks for each step's number before revealing the step. Every answer,
// hint and step text comes from the embedded JSON (written by Python); this script compares the
// typed number with them within the tolerance, and writes text with textContent only.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("bp-data").textContent);
  const steps = data.steps;
  const view = data.view;
  const total = steps.length;
  const tol = data.tol;
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#bp-viewport svg");
  const svgNode = (key) => (svg ? svg.getElementById(key) : null);
  const input = $("bp-answer");
  const feedback = $("bp-feedback");
  let current = 0; // steps revealed so far
  let attempts = 0;
  let score = { asked: 0, first: 0, second: 0, shown: 0, helped: [] };

  function close(given, expected) {
    return Math.abs(given - expected) <= tol * Math.max(Math.abs(expected), 0.1);
  }

  // "-0.5", "1/3", "2.5e-3", "−4" (a typographic minus); anything else is not a number
  function parseNumber(text) {
    const cleaned = text.trim().replace(/\u2212/g, "-").replace(/\s+/g, "");
    const part = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?";
    const match = new RegExp("^(" + part + ")(?:/(" + part + "))?$", "i").exec(cleaned);
    if (!match) return null;
    const top = Number(match[1]);
    if (match[2] === undefined) return top;
    const bottom = Number(match[2]);
    return bottom === 0 ? null : top / bottom;
  }

  // the answer box and its buttons work only while a question is open: after the last step there
  // is nothing to check, so they are hidden and disabled (Enter in a stale box must not throw)
  function setAsking(open) {
    $("bp-ask").hidden = !open;
    for (const control of [input, $("bp-check"), $("bp-show")]) control.disabled = !open;
  }

  function mark(key, name) {
    const element = svgNode(key);
    if (element) element.classList.add(name);
  }

  // the graph after `current` steps, with the step being asked (index `asking`) highlighted
  function drawGraph(asking) {
    if (!svg) return;
    for (const node of view.nodes) {
      const element = svgNode(node.key);
      if (!element) continue;
      element.classList.toggle("bp-value-hidden", !(node.value_step !== null && current >= node.value_step));
      element.classList.toggle("bp-grad-hidden", !(node.grad_step !== null && current >= node.grad_step));
    }
    for (const name of ["bp-current", "bp-operand", "bp-source-node", "bp-active", "bp-flow-fwd", "bp-flow-bwd"]) {
      for (const element of svg.querySelectorAll("." + name)) element.classList.remove(name);
    }
    if (asking === null) return;
    const extra = view.steps[asking];
    mark("v" + steps[asking].node, "bp-current");
    const asked = svgNode("v" + steps[asking].node);  // keep the node being asked in view when the graph scrolls
    if (asked && asked.scrollIntoView) asked.scrollIntoView({ block: "nearest", inline: "nearest" });
    if (steps[asking].phase === "forward") {
      mark(extra.op, "bp-active");
      for (const operand of extra.operands) mark(operand, "bp-operand");
      for (const edge of extra.edges) mark(edge, "bp-flow-fwd");
    } else {
      for (const path of extra.paths) {
        mark(path.from, "bp-source-node");
        for (const edge of path.edges) mark(edge, "bp-flow-bwd");
      }
    }
  }

  function reveal(helped) {
    const item = document.createElement("li");
    item.textContent = steps[current].text;
    if (helped) item.classList.add("bp-helped");
    $("bp-log").append(item);
    item.scrollIntoView({ block: "nearest" });
    current += 1;
    document.documentElement.dataset.revealed = String(current);
  }

  // reveal the steps that ask nothing (the output's own gradient), then ask the next one
  function advance() {
    while (current < total && steps[current].question === null) reveal(false);
    attempts = 0;
    if (current >= total) return finish();
    const step = steps[current];
    const backward = step.phase === "backward";
    document.body.classList.toggle("bp-fwd", !backward);
    document.body.classList.toggle("bp-bwd", backward);
    $("bp-counter").textContent = "Step " + (current + 1) + " / " + total;
    $("bp-phase").textContent = backward ? "Backward pass" : "Forward pass";
    $("bp-phase-note").textContent = backward ? view.phases.backward : view.phases.forward;
    $("bp-question").textContent = step.question.prompt + " =";
    input.value = "";
    input.focus();
    drawGraph(current);
  }

  function finish() {
    drawGraph(null);
    setAsking(false);
    document.body.classList.remove("bp-fwd", "bp-bwd");
    $("bp-counter").textContent = "Done: " + total + " / " + total;
    $("bp-phase").textContent = "All steps revealed";
    $("bp-phase-note").textContent = "";
    $("bp-score").textContent = "Score: " + score.first + " of " + score.asked + " right at the first try (" +
      score.second + " after a hint, " + score.shown + " shown).";
    $("bp-helped").textContent = score.helped.length
      ? "Steps that needed help: " + score.helped.join(", ")
      : "No step needed help.";
    $("bp-done").hidden = false;
    document.documentElement.dataset.done = "true";
    $("bp-again").focus();
  }

  function say(text, kind) {
    feedback.textContent = text;
    feedback.className = "bp-feedback" + (kind ? " bp-" + kind : "");
  }

  function check() {
    if (current >= total) return;
    const question = steps[current].question;
    const given = parseNumber(input.value);
    if (given === null) {
      say("Type a number, such as -0.5 or 1/3.", "wrong");
      input.focus();
      return;
    }
    // 1e1000 parses as Infinity, which no step's answer is: refuse it like any other non-number, uncounted
    if (!Number.isFinite(given)) {
      say("Too large: type a finite number, such as -0.5 or 1/3.", "wrong");
      input.focus();
      return;
    }
    attempts += 1;
    if (close(given, question.answer)) {
      score.asked += 1;
      if (attempts === 1) score.first += 1;
      else { score.second += 1; score.helped.push(question.label); }
      say("Right" + (attempts > 1 ? ", after the hint" : "") + ": " + steps[current].text, "right");
      reveal(attempts > 1);
      return advance();
    }
    if (attempts === 1) {
      const mistake = question.mistakes.find((m) => close(given, m.value));
      const lines = [mistake ? "Not quite. Likely mistake: " + mistake.text + "." : "Not quite."];
      if (question.rule.length) lines.push("Hint: " + question.rule.join("; "));
      say(lines.join("\n"), "wrong");
      input.select();
      return;
    }
    showStep();
  }

  function showStep() {
    if (current >= total) return;
    const question = steps[current].question;
    score.asked += 1;
    score.shown += 1;
    score.helped.push(question.label);
    say("The step: " + steps[current].text, "wrong");
    reveal(true);
    advance();
  }

  function start() {
    current = 0;
    score = { asked: 0, first: 0, second: 0, shown: 0, helped: [] };
    $("bp-log").replaceChildren();
    $("bp-done").hidden = true;
    setAsking(true);
    delete document.documentElement.dataset.done;
    document.documentElement.dataset.revealed = "0";
    say("", null);
    advance();
  }

  // the graph fills the width, but never shrinks below 70% of its own size: past that, it scrolls
  if (svg && svg.dataset.width) {
    svg.style.width = "100%";
    svg.style.minWidth = "calc(" + svg.dataset.width + " * 0.7)";
  }

  $("bp-ask").addEventListener("submit", (event) => { event.preventDefault(); check(); });
  $("bp-show").addEventListener("click", () => showStep());
  $("bp-again").addEventListener("click", () => start());
  start();
})();

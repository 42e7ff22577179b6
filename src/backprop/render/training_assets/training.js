// backprop train page: shows the numbers Python recorded for the chosen step and data point.
// Nothing is computed here; every number arrives formatted, and is written with textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("tp-data").textContent);
  var stepInput = document.getElementById("tp-step");
  var rowInput = document.getElementById("tp-row");
  var stepText = document.getElementById("tp-step-text");
  var rowText = document.getElementById("tp-row-text");
  var params = document.getElementById("tp-params");
  var marker = document.getElementById("tp-marker");
  var body = document.getElementById("tp-table-body");
  var svg = document.querySelector(".bp-svg");
  if (svg && svg.getAttribute("data-width")) {
    // Graphviz's own size (in points) when it fits; up to 2.2 times wider is shrunk to fit; a wider
    // graph keeps its size and scrolls in its box rather than shrinking to unreadable.
    var given = svg.getAttribute("data-width");
    var natural = parseFloat(given) * (/pt$/.test(given) ? 4 / 3 : 1);
    var room = svg.parentNode.clientWidth - 8;
    svg.style.width = (natural <= room ? natural : natural <= 2.2 * room ? room : natural) + "px";
  }
  var svgNodes = {};
  document.querySelectorAll(".bp-svg g.bp-value").forEach(function (group) {
    svgNodes[group.id] = {
      value: group.querySelector(".bp-val .bp-num"),
      grad: group.querySelector(".bp-grad .bp-num")
    };
  });
  var cells = {};
  data.nodes.forEach(function (node) {
    var row = document.createElement("tr");
    var name = document.createElement("td");
    name.textContent = node.name + (node.key === data.outputKey ? " (output)" : node.kind === "input" ? " (input)" : "");
    var value = document.createElement("td");
    value.className = "tp-v";
    var grad = document.createElement("td");
    grad.className = "tp-g";
    row.appendChild(name); row.appendChild(value); row.appendChild(grad);
    row.setAttribute("data-node", node.key);
    body.appendChild(row);
    cells[node.key] = { value: value, grad: grad };
  });

  function show() {
    var k = Number(stepInput.value), r = Number(rowInput.value);
    var snapshot = data.snapshots[k];
    var point = snapshot.rows[r];
    stepText.textContent = "step " + snapshot.step + " (" + (k + 1) + " of " + data.snapshots.length +
      " recorded): " + data.lossName + " = " + snapshot.loss;
    rowText.textContent = data.rows[r];
    params.textContent = data.parameters.map(function (name, i) {
      return name + " = " + snapshot.params[i];
    }).join(", ");
    data.nodes.forEach(function (node, i) {
      var drawn = svgNodes[node.key];
      if (drawn && drawn.value) { drawn.value.textContent = point.values[i]; }
      if (drawn && drawn.grad) { drawn.grad.textContent = point.grads[i]; }
      cells[node.key].value.textContent = point.values[i];
      cells[node.key].grad.textContent = point.grads[i];
    });
    var at = data.curve.points[k];
    marker.setAttribute("cx", at[0]);
    marker.setAttribute("cy", at[1]);
    document.body.setAttribute("data-step", String(snapshot.step));
    document.body.setAttribute("data-row", String(r));
  }
  stepInput.addEventListener("input", show);
  rowInput.addEventListener("input", show);
  show();
})();

// Draw every Vega-Lite chart on the page (and those htmx swaps in later) as SVG.
(function () {
  function draw(root) {
    root.querySelectorAll("div.chart[data-spec]:not([data-drawn])").forEach(function (el) {
      el.setAttribute("data-drawn", "1");
      vegaEmbed(el, JSON.parse(el.getAttribute("data-spec")), {renderer: "svg", actions: false})
        .catch(function (err) { el.textContent = "The chart could not be drawn: " + err; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();

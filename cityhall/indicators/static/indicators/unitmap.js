/* cityhall dashboard: the map of the units below the one shown, each filled with its class's
   colour for the chosen indicator. The values and colours come with the page
   (#unit-map-data, keyed by unit code); the boundaries in one cached request (the layer
   named by data-layer). No tiles: a plain background, nothing fetched from elsewhere. A unit
   without a boundary is not in the layer and is never drawn; the page lists it beside the
   map. Every figure is also in the units table, so the page says everything without this. */
(function () {
  "use strict";

  var BORDER = "#3d4a57";
  var APPROXIMATE = "6 4";

  function tooltip(name, text, approximate, word) {
    var box = document.createElement("span");
    var strong = document.createElement("strong");
    strong.textContent = name;
    box.appendChild(strong);
    box.appendChild(document.createTextNode(": " + text));
    if (approximate) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(word));
    }
    return box;
  }

  function go(url) {
    return function () { window.location.assign(url); };
  }

  function paint(el, data, layer) {
    var map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: true });
    map.attributionControl.setPrefix(false);
    (layer.attribution || []).forEach(function (a) { map.attributionControl.addAttribution(a); });
    var word = el.dataset.wordApproximate || "approximate boundary";
    var features = layer.features || [];
    var children = features.filter(function (f) {
      return f.properties.role === "child" && data.units[f.properties.code];
    });
    var drawn = L.featureGroup().addTo(map);
    features.forEach(function (f) {
      if (f.properties.role !== "self") { return; }
      // The unit shown: its outline around the units below, or, when none of them has a
      // boundary, the unit itself with its own figure.
      var alone = children.length === 0;
      var own = L.geoJSON(f, { style: {
        color: BORDER, weight: alone ? 1.5 : 2, fill: alone, fillColor: data.ownColour,
        fillOpacity: alone ? 0.7 : 0, dashArray: f.properties.approximate ? APPROXIMATE : null,
        className: "unit-own", interactive: alone
      } });
      if (alone) {
        own.bindTooltip(tooltip(data.own.name, data.own.text, f.properties.approximate, word),
                        { sticky: true });
      }
      own.addTo(drawn);
    });
    children.forEach(function (f) {
      var unit = data.units[f.properties.code];
      var area = L.geoJSON(f, { style: {
        color: BORDER, weight: 1, fillColor: unit.colour, fillOpacity: 0.85,
        dashArray: f.properties.approximate ? APPROXIMATE : null,
        className: "unit-area unit-" + f.properties.code
      } });
      area.bindTooltip(tooltip(unit.name, unit.text, f.properties.approximate, word),
                       { sticky: true });
      area.on("click", go(unit.url));
      area.addTo(drawn);
    });
    if (drawn.getLayers().length) {
      // Room at the foot for the credits of the boundaries' source.
      map.fitBounds(drawn.getBounds(), { paddingTopLeft: [12, 12], paddingBottomRight: [12, 48] });
    }
    el.dataset.drawn = String(children.length);
    el.classList.add("map-ready");
    window.addEventListener("resize", function () { map.invalidateSize(); });
  }

  function failed(el) {
    var note = document.createElement("p");
    note.className = "empty";
    note.textContent = el.dataset.wordFailed || "";
    el.replaceWith(note);
  }

  function start() {
    var el = document.querySelector("[data-unit-map]");
    var source = document.getElementById("unit-map-data");
    if (!el || !source || typeof L === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    fetch(el.dataset.layer, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (layer) {
        if (layer) { paint(el, data, layer); } else { failed(el); }
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());

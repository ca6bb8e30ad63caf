/* cityhall report pages: maps drawn from our own GeoJSON (no outside tiles unless the city
   sets its own tile server), the pin picker that fills the form's hidden inputs, and the
   reply templates. Every page works without this file: the address field always does. */
(function () {
  "use strict";

  var CENTRE = [10.7769, 106.7009]; // Ho Chi Minh City
  var PIN = { radius: 9, color: "#7a0f12", weight: 3, fillColor: "#a4161a", fillOpacity: 0.9, className: "report-pin" };
  var UNIT_POINT = { radius: 3, color: "#4a5562", weight: 1, fillColor: "#c9d1da", fillOpacity: 0.8 };
  var UNIT_AREA = { color: "#4a5562", weight: 1, fillOpacity: 0.04 };

  function baseMap(el) {
    el.innerHTML = "";
    var map = L.map(el, { center: CENTRE, zoom: 11, attributionControl: !!el.dataset.tiles });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
    }
    if (el.dataset.units) {
      fetch(el.dataset.units, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          L.geoJSON(data, {
            style: function () { return UNIT_AREA; },
            pointToLayer: function (f, latlng) { return L.circleMarker(latlng, UNIT_POINT); },
            onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); },
            interactive: el.dataset.map !== "pick"
          }).addTo(map).bringToBack();
        })
        .catch(function () { /* the units layer is a help, not a need */ });
    }
    return map;
  }

  function pickMap(el) {
    var map = baseMap(el);
    var lat = document.getElementById(el.dataset.latInput);
    var lon = document.getElementById(el.dataset.lonInput);
    var status = document.getElementById("pin-status");
    var clear = document.getElementById("pin-clear");
    var marker = null;

    function show(latlng, announce) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.circleMarker(latlng, PIN).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      if (status) { status.textContent = status.dataset.textSet + " " + lat.value + ", " + lon.value; }
      if (clear) { clear.hidden = false; }
      if (announce) { document.body.dispatchEvent(new CustomEvent("place-set", { bubbles: true })); }
    }

    if (lat.value && lon.value) {
      var start = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      show(start, false);
      map.setView(start, 15);
    }
    map.on("click", function (e) { show(e.latlng, true); });
    if (clear) {
      clear.addEventListener("click", function () {
        if (marker) { map.removeLayer(marker); marker = null; }
        lat.value = ""; lon.value = "";
        clear.hidden = true;
        if (status) { status.textContent = status.dataset.textNone; }
        document.body.dispatchEvent(new CustomEvent("place-set", { bubbles: true }));
      });
    }
    // Tests and assistive tools may fill the hidden inputs directly.
    document.addEventListener("cityhall:set-pin", function (e) {
      show(L.latLng(e.detail.lat, e.detail.lon), true);
    });
  }

  function showMap(el) {
    var map = baseMap(el);
    var here = L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon));
    L.circleMarker(here, PIN).addTo(map);
    // Close enough to see the street's place among the ward centres around it.
    map.setView(here, 13);
  }

  function listMap(el) {
    var map = baseMap(el);
    fetch(el.dataset.pins, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features.length) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, PIN); },
          onEachFeature: function (f, marker) {
            var box = document.createElement("div");
            var link = document.createElement("a");
            link.href = f.properties.url;
            link.textContent = f.properties.code;
            box.appendChild(link);
            box.appendChild(document.createElement("br"));
            box.appendChild(document.createTextNode(f.properties.category + " · " + f.properties.state_label));
            marker.bindPopup(box);
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { maxZoom: 13, padding: [20, 20] });
      })
      .catch(function () { /* the list below the map has every report */ });
  }

  function replyTemplates() {
    document.querySelectorAll("select[data-reply-template]").forEach(function (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var target = document.getElementById(select.dataset.replyTemplate);
        if (target && option && option.dataset.text) { target.value = option.dataset.text; target.focus(); }
      });
    });
  }

  function start() {
    replyTemplates();
    if (typeof L === "undefined") { return; }
    document.querySelectorAll("[data-map]").forEach(function (el) {
      var kind = el.dataset.map;
      if (kind === "pick") { pickMap(el); } else if (kind === "show") { showMap(el); } else if (kind === "list") { listMap(el); }
      el.classList.add("map-ready");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

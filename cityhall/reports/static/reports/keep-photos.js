/* cityhall report form: the photos chosen are kept when the form comes back with an error.
   A browser never refills a file input by itself, so before the form is sent the chosen
   files are put in this browser's IndexedDB under the form's idempotency key; when the
   server answers with the form again (an error elsewhere than on the photos), they are put
   back into the input. They are deleted once restored or older than an hour, and whenever
   the form is opened afresh. Without IndexedDB or DataTransfer the form works as before. */
(function () {
  "use strict";

  var DB = "cityhall-report-photos";
  var STORE = "photos";
  var MAX_AGE_MS = 60 * 60 * 1000;

  function open() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = window.indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function save(key, files) {
    var items = Array.prototype.map.call(files, function (f) {
      return { name: f.name, type: f.type, lastModified: f.lastModified, blob: f };
    });
    return run("readwrite", function (store) {
      return store.put({ at: Date.now(), files: items }, key);
    });
  }

  function load(key) {
    return run("readonly", function (store) { return store.get(key); });
  }

  function clear(key) {
    return run("readwrite", function (store) {
      return key ? store.delete(key) : store.clear();
    });
  }

  function restore(input, record) {
    if (!record || !record.files || !record.files.length) { return; }
    if (Date.now() - record.at > MAX_AGE_MS || typeof DataTransfer === "undefined") { return; }
    var transfer = new DataTransfer();
    record.files.forEach(function (item) {
      transfer.items.add(new File([item.blob], item.name, { type: item.type, lastModified: item.lastModified }));
    });
    input.files = transfer.files;
    var status = document.getElementById("photos-kept");
    if (status) {
      status.textContent = input.dataset.textKept + " " + record.files.map(function (i) { return i.name; }).join(", ");
      status.hidden = false;
    }
  }

  function start() {
    var input = document.getElementById("id_photos");
    var form = document.getElementById("report-form");
    if (!input || !form || !input.dataset.keepKey) { return; }
    var key = input.dataset.keepKey;
    var ready;
    if (input.hasAttribute("data-keep-restore")) {
      ready = load(key).then(function (record) { restore(input, record); }).catch(function () {});
    } else {
      // Opened afresh (or the photos themselves were refused): nothing old is kept.
      ready = clear(null).catch(function () {});
    }
    input.addEventListener("change", function () {
      var status = document.getElementById("photos-kept");
      if (status) { status.hidden = true; }
    });
    form.addEventListener("submit", function (event) {
      if (form.dataset.keepSaved === "1" || !input.files || !input.files.length) { return; }
      event.preventDefault();
      var files = input.files;
      ready.then(function () { return save(key, files); })
        .catch(function () { /* kept or not, the form is sent */ })
        .then(function () { form.dataset.keepSaved = "1"; form.requestSubmit ? form.requestSubmit() : form.submit(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

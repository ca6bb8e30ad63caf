/* cityhall report pages: the reply templates. The maps are in maps.js. Every page works
   without this file. */
(function () {
  "use strict";

  function replyTemplates() {
    document.querySelectorAll("select[data-reply-template]").forEach(function (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var target = document.getElementById(select.dataset.replyTemplate);
        if (target && option && option.dataset.text) { target.value = option.dataset.text; target.focus(); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", replyTemplates);
  } else {
    replyTemplates();
  }
})();

// The search page: Pagefind's UI in place of the form that, without JavaScript, leads to the papers index.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") {
    return; // no index (say, while serving a preview): the form stays
  }
  var query = new URLSearchParams(window.location.search).get("q");
  box.replaceChildren();
  var ui = new PagefindUI({ element: "#search", showSubResults: true, showImages: false });
  var input = box.querySelector("input");
  if (input) {
    // A visible label, as the form had: the UI's own input is named only by its placeholder.
    var label = document.createElement("label");
    label.htmlFor = input.id = "search-query";
    label.className = "search-label";
    label.textContent = "Search the papers, their notes, claims and red flags";
    box.before(label);
  }
  if (query) {
    ui.triggerSearch(query);
  }
})();

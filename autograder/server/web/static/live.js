// Live status: follow the submission's event stream and, at each change, put the server's
// freshly rendered page in place of this one's (no reload, and the words stay the server's).
(function () {
  var live = document.getElementById("live");
  if (!live || live.dataset.final === "yes" || !window.EventSource) return;
  var stream = new EventSource(live.dataset.events);
  stream.addEventListener("status", function (event) {
    var state = JSON.parse(event.data).state;
    if (state === "done" || state === "grader error") stream.close();
    fetch(location.href, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
      if (fresh) document.querySelector("main").replaceChildren(...fresh.childNodes);
    });
  });
})();

/* On a phone the organisation's tabs scroll sideways: bring the current section's tab into view. */
(function () {
  "use strict";
  var nav = document.querySelector(".orgnav");
  var current = nav && nav.querySelector("[aria-current='page']");
  if (!current || nav.scrollWidth <= nav.clientWidth) {
    return;
  }
  var tab = current.getBoundingClientRect();
  var box = nav.getBoundingClientRect();
  nav.scrollLeft += tab.left - box.left - (box.width - tab.width) / 2;
})();

/* The designer's drag and drop (SortableJS): a step of the approval chain dragged to another
   place, a lane included, or a new field dragged among the others, posts the page with the
   move (move:<step>:<lane>:<index>, move:<from>:<to>), as the ↑ ↓ buttons do; the server
   answers the page changed. The buttons stay for the keyboard. */
(function () {
  "use strict";

  function post(form, action) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "action";
    input.value = action;
    form.appendChild(input);
    form.submit();
  }

  function arm() {
    const form = document.getElementById("designer-form");
    if (!form || typeof Sortable === "undefined") return;
    form.querySelectorAll("[data-steps]").forEach((list) => {
      if (list.dataset.armed) return;
      list.dataset.armed = "1";
      Sortable.create(list, {
        group: "designer-steps",
        draggable: "[data-step]",
        handle: ".designer-grip",
        forceFallback: true, // mouse and touch events, not the browser's own drag and drop
        animation: 150,
        onEnd(event) {
          if (event.from === event.to && event.oldDraggableIndex === event.newDraggableIndex) return;
          post(form, `move:${event.item.dataset.step}:${event.to.dataset.steps}:${event.newDraggableIndex}`);
        },
      });
    });
    const fields = document.getElementById("designer-fields");
    if (fields && !fields.dataset.armed) {
      fields.dataset.armed = "1";
      Sortable.create(fields, {
        draggable: "[data-field-row]",
        handle: ".designer-grip",
        forceFallback: true, // mouse and touch events, not the browser's own drag and drop
        animation: 150,
        onEnd(event) {
          if (event.oldDraggableIndex === event.newDraggableIndex) return;
          post(form, `move:${event.oldDraggableIndex}:${event.newDraggableIndex}`);
        },
      });
    }
  }

  document.addEventListener("DOMContentLoaded", arm);
  document.addEventListener("htmx:afterSettle", arm);
})();

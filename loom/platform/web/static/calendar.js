/* The calendar (calendar.html): FullCalendar over the page's events address. A month on a
   desktop, a list of the month's days on a phone (below 768 px), weeks from Monday, in the
   page's language. The server sends moments as the site's wall clock; the calendar runs in
   UTC so it shows them as they are, wherever the browser is, and "now" is the site's too.
   An event is a link to its record; a click on a day opens a new record starting on it; for
   those who may write, an event dragged to other days (or stretched) moves there. */
(function () {
  "use strict";

  const PHONE = window.matchMedia("(max-width: 767.98px)");
  const BARS = {
    desk: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
    phone: { left: "prev,next", center: "title", right: "today" },
  };

  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  function say(text) {
    const box = document.getElementById("calendar-message");
    box.textContent = text || "";
    box.classList.toggle("d-none", !text);
  }

  /* The events of the days in sight: ``from`` and ``to`` are days (``to`` not included). */
  async function load(holder, info) {
    const address = new URL(holder.dataset.events, window.location.href);
    address.searchParams.set("from", info.startStr.slice(0, 10));
    address.searchParams.set("to", info.endStr.slice(0, 10));
    const answer = await fetch(address, { headers: { Accept: "application/json" } });
    let result = {};
    try { result = await answer.json(); } catch (e) { result = {}; }
    if (!answer.ok) throw new Error(result.message || holder.dataset.failed);
    say(result.more ? holder.dataset.more : "");
    return result.events || [];
  }

  /* A new record starting on the clicked day (at the clicked hour in a week, else 09:00),
     ending the same day or an hour later. */
  function creation(holder, info) {
    const data = holder.dataset;
    const address = new URL(data.new, window.location.href);
    const day = info.dateStr.slice(0, 10);
    if (data.kind === "date") {
      address.searchParams.set(data.start, day);
      if (data.end) address.searchParams.set(data.end, day);
    } else {
      const begins = info.allDay ? new Date(`${day}T09:00:00Z`) : info.date;
      const ends = new Date(begins.getTime() + 3600 * 1000);
      address.searchParams.set(data.start, begins.toISOString().slice(0, 16));
      if (data.end) address.searchParams.set(data.end, ends.toISOString().slice(0, 16));
    }
    return address.toString();
  }

  /* Post a dragged (or stretched) event's new start and end with its version; the server
     decides. Moved: the events are read again (new versions, the server's colours).
     Refused: the event goes back and the reason shows. */
  async function move(holder, calendar, info) {
    const event = info.event;
    const body = new FormData();
    body.append("record", event.id);
    body.append("version", event.extendedProps.version);
    body.append("start", event.startStr.replace("Z", ""));
    body.append("end", event.endStr.replace("Z", ""));
    let result = {};
    try {
      const answer = await fetch(holder.dataset.move, {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
      });
      result = await answer.json();
    } catch (e) {
      result = { message: holder.dataset.failed };
    }
    if (result.ok) {
      say("");
      calendar.refetchEvents();
      return;
    }
    info.revert();
    say(result.message || holder.dataset.failed);
  }

  function start() {
    const holder = document.getElementById("calendar");
    if (!holder || typeof FullCalendar === "undefined") return;
    const data = holder.dataset;
    const calendar = new FullCalendar.Calendar(holder, {
      locale: data.locale,
      firstDay: 1,
      timeZone: "UTC",
      now: data.now,
      initialDate: data.initial || undefined,
      initialView: PHONE.matches ? "listMonth" : "dayGridMonth",
      headerToolbar: PHONE.matches ? BARS.phone : BARS.desk,
      height: "auto",
      dayMaxEvents: 4,
      eventDisplay: "block",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      noEventsText: data.empty,
      events: (info, done, failed) => load(holder, info).then(done, (error) => {
        say(error.message);
        failed(error);
      }),
      dateClick: data.new ? (info) => window.location.assign(creation(holder, info)) : undefined,
      editable: Boolean(data.move),
      eventDurationEditable: Boolean(data.move && data.end),
      eventDrop: (info) => move(holder, calendar, info),
      eventResize: (info) => move(holder, calendar, info),
    });
    PHONE.addEventListener("change", (change) => {
      calendar.setOption("headerToolbar", change.matches ? BARS.phone : BARS.desk);
      calendar.changeView(change.matches ? "listMonth" : "dayGridMonth");
    });
    calendar.render();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

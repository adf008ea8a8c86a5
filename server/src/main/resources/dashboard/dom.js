// Building the page. Everything the API returns is set as text (textContent, attribute values), never parsed as
// HTML: a secret value or a name holding markup shows literally. Nothing here parses a string as markup.

/** An element: h("button", {class: "primary", onclick: fn}, "Save"). Children: strings, nodes, arrays, null. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else if (key === "dataset") Object.assign(el.dataset, value);
      else if (key === "value" || key === "checked" || key === "selected" || key === "disabled" || key === "hidden")
        el[key] = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A fresh element id, for label/aria references. */
export function uid(prefix) {
  ids += 1;
  return (prefix || "ek") + "-" + ids;
}

/**
 * A labelled field: the label wraps its caption and control, so every control has a name; a hint goes after the
 * label (not inside it, where it would become part of the name) and describes the control.
 */
export function field(label, control, hint) {
  const labelled = h("label", { class: "field" }, h("span", { class: "label" }, label), control);
  if (!hint) return labelled;
  const hintEl = h("span", { class: "hint", id: uid("hint") }, hint);
  control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field-group" }, labelled, hintEl);
}

/** A timestamp as the reader's local date and time; "never" for none. */
export function when(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "in 5 days", "3 hours ago". */
export function relative(iso) {
  if (!iso) return "never";
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  return rtf.format(Math.round(seconds), "second");
}

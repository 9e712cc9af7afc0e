// DOM helpers. Data from the server or the user only ever becomes text nodes or attribute values: never markup.

export const $ = (id) => document.getElementById(id);

/** el('li', {class: 'x', 'aria-label': 'y', onclick: f}, 'text', child) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name in node && typeof value !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function setText(node, text) {
  const value = text ?? '';
  if (node.textContent !== value) node.textContent = value;
}

/**
 * Brings container's children in line with items, keyed by data-key: existing elements are updated in place and only
 * moved when out of order, so focus and open state survive a live refresh.
 */
export function syncList(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of container.children) existing.set(child.dataset.key, child);
  items.forEach((item, index) => {
    const key = keyOf(item);
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] ?? null);
  });
  for (const stale of existing.values()) stale.remove();
}

export const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** A modal dialog that gives focus back to whatever opened it (or a fallback when that is gone). */
export function openDialog(dialog, { focus, fallback } = {}) {
  const opener = document.activeElement;
  dialog.showModal();
  (focus ?? dialog.querySelector('input, select, button'))?.focus();
  dialog.addEventListener('close', () => {
    const target = opener && opener.isConnected && !opener.disabled ? opener : (typeof fallback === 'function' ? fallback() : fallback);
    target?.focus();
  }, { once: true });
}

export function wireCloseButtons(root = document) {
  for (const button of root.querySelectorAll('dialog [data-close]')) {
    button.addEventListener('click', () => button.closest('dialog').close('cancel'));
  }
}

/** A trash-can icon drawn as SVG (no icon font: headless and minimal systems lack emoji glyphs). */
export function trashIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h2v-8h-2zm4 0v8h2v-8h-2z');
  svg.append(path);
  return svg;
}

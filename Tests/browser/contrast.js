// Contrast of the real rendered colours (WCAG 2.x relative luminance), for every visible element with
// its own text (≥ 4.5:1) and every enabled control's boundary against what is behind it (≥ 3:1).
() => {
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (x, y) => { const a = luminance(x), b = luminance(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const behind = (node) => {
    const chain = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) chain.push(n);
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const n of chain.reverse()) { const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0) colour = over(c, colour); }
    return colour;
  };
  const opacity = (node) => { let o = 1; for (let n = node; n && n.nodeType === 1; n = n.parentElement) o *= Number(getComputedStyle(n).opacity); return o; };
  const name = (n) => `${n.tagName.toLowerCase()}${n.id ? '#' + n.id : ''}${n.className && typeof n.className === 'string' ? '.' + n.className.trim().split(/\s+/).join('.') : ''} "${(n.textContent || '').trim().slice(0, 40)}"`;
  const visible = (n) => n.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && n.getBoundingClientRect().width > 1;
  const disabled = (n) => n.closest(':disabled, [aria-disabled=true]') !== null;
  const text = [], controls = [];
  for (const node of document.querySelectorAll('body *')) {
    if (!visible(node) || disabled(node) || node.closest('.visually-hidden')) continue;
    const ownText = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (ownText) {
      const bg = behind(node);
      const fg = parse(getComputedStyle(node).color);
      const a = opacity(node);
      const shown = over({ ...fg, a: fg.a * a }, bg);
      text.push({ what: name(node), ratio: Math.round(ratio(shown, bg) * 100) / 100 });
    }
    // Checkboxes keep Chromium's own drawing (its colours are not in the computed style).
    if (node.matches('button, select, textarea, input:not([type=checkbox]), .button, .help > summary')) {
      const style = getComputedStyle(node);
      const outside = behind(node.parentElement);
      const border = parse(style.borderTopColor);
      const fill = parse(style.backgroundColor);
      const edges = [];
      if (border && Number.parseFloat(style.borderTopWidth) > 0) edges.push(ratio(over(border, outside), outside));
      if (fill && fill.a > 0) edges.push(ratio(over(fill, outside), outside));
      controls.push({ what: name(node), ratio: Math.round(Math.max(0, ...edges) * 100) / 100 });
    }
  }
  return { text, controls };
}

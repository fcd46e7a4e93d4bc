// The chat page. Its sentences come from the server (window.UB_T, written
// above this file by src/page_text.rs); everything the server says is put in
// the page with textContent, never as HTML.
(function () {
  'use strict';
  var T = window.UB_T || {};
  var KEY = 'union-bot.conversation.v1';
  var MAX_KEPT = 120;
  var log = document.getElementById('log');
  var live = document.getElementById('live');
  var form = document.getElementById('ask');
  var input = document.getElementById('q');
  var convo = load();
  var context = null;

  function t(key, arg) {
    var s = T[key] || '';
    return arg === undefined ? s : s.replace('{}', arg);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function load() {
    try {
      var v = JSON.parse(localStorage.getItem(KEY) || '[]');
      return Array.isArray(v) ? v : [];
    } catch (e) {
      return [];
    }
  }

  function save() {
    try {
      localStorage.setItem(KEY, JSON.stringify(convo.slice(-MAX_KEPT)));
    } catch (e) { /* private mode or full: the conversation is just not kept */ }
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function announce(text) {
    live.textContent = '';
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // One item of the conversation: {who: 'me'|'bot'|'notice', text, ...}.
  function renderItem(item, index) {
    var row = el('div', 'msg ' + item.who);
    var bubble = el('div', 'bubble');
    bubble.appendChild(document.createTextNode(item.text || ''));
    if (item.source) bubble.appendChild(el('div', 'src', item.source));
    (item.cards || []).forEach(function (c) { bubble.appendChild(card(c)); });
    if (item.chips && item.chips.length) {
      var chips = el('div', 'chips');
      chips.setAttribute('aria-label', t('chips_label'));
      item.chips.forEach(function (c) {
        var b = el('button', null, c.label);
        b.type = 'button';
        b.setAttribute('data-key', c.key);
        b.addEventListener('click', function () { tap(c); });
        chips.appendChild(b);
      });
      bubble.appendChild(chips);
    }
    if (item.who === 'bot' && item.feedback_key) bubble.appendChild(votes(item, index));
    row.appendChild(bubble);
    return row;
  }

  function card(c) {
    var box = el('div', 'card');
    box.setAttribute('data-station', c.id);
    var h = el('h3', null, c.name);
    if (c.distance) h.appendChild(el('span', 'dist', '｜' + c.distance));
    box.appendChild(h);
    box.appendChild(el('p', null, t('address') + c.address + (c.approximate ? t('approximate') : '')));
    if (c.hours) {
      var p = el('p', null, t('hours') + c.hours + ' ');
      if (c.open_now === true) p.appendChild(el('span', 'open', t('open_now')));
      if (c.open_now === false) p.appendChild(el('span', 'shut', t('closed_now')));
      box.appendChild(p);
    } else {
      box.appendChild(el('p', null, t('hours_unknown')));
    }
    var own = c.services && c.services.length;
    if (own) box.appendChild(el('p', null, t('services') + c.services.join('、')));
    if (c.expected_services && c.expected_services.length) {
      box.appendChild(el('p', 'expected', t(own ? 'expected_services_more' : 'expected_services_only', c.expected_services.join('、'))));
    }
    var maps = el('div', 'maps');
    [['amap', c.amap], ['baidu', c.baidu]].forEach(function (m) {
      if (!/^https:\/\//.test(m[1] || '')) return;
      var a = el('a', m[0], t(m[0]));
      a.href = m[1];
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      maps.appendChild(a);
    });
    box.appendChild(maps);
    return box;
  }

  function votes(item, index) {
    var box = el('div', 'votes');
    [['up', 'helpful'], ['down', 'not_helpful']].forEach(function (v) {
      var b = el('button', 'vote-' + v[0], t(v[1]));
      b.type = 'button';
      b.setAttribute('aria-label', t(v[1] + '_label'));
      b.setAttribute('aria-pressed', item.vote === v[0] ? 'true' : 'false');
      b.disabled = !!item.vote;
      b.addEventListener('click', function () { vote(item, index, v[0]); });
      box.appendChild(b);
    });
    if (item.vote) box.appendChild(el('span', 'thanks', t('thanks')));
    return box;
  }

  function renderAll() {
    log.textContent = '';
    if (!convo.length) log.appendChild(renderItem({ who: 'notice', text: t('welcome') }, -1));
    convo.forEach(function (item, i) { log.appendChild(renderItem(item, i)); });
    scrollDown();
  }

  function push(item) {
    if (!convo.length) log.textContent = '';
    convo.push(item);
    save();
    log.appendChild(renderItem(item, convo.length - 1));
    scrollDown();
    if (item.who !== 'me') announce(item.text + (item.source ? '\n' + item.source : ''));
  }

  var typingRow = null;
  function typing(on) {
    if (on && !typingRow) {
      typingRow = el('div', 'msg bot typing');
      var b = el('div', 'bubble', t('typing'));
      b.setAttribute('aria-label', t('typing_label'));
      typingRow.appendChild(b);
      log.appendChild(typingRow);
      scrollDown();
    } else if (!on && typingRow) {
      typingRow.remove();
      typingRow = null;
    }
  }

  function fromAnswer(a) {
    var d = a.display || {};
    context = a.context || null;
    return {
      who: 'bot',
      text: d.text || a.answer || '',
      source: d.source || '',
      cards: a.cards || [],
      chips: a.chips || [],
      feedback_key: a.feedback_key,
      ref: a.ref,
    };
  }

  function api(method, path, body) {
    var opts = { method: method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var code = j && j.error && j.error.code;
          throw { code: code || 'http_' + r.status };
        }
        return j;
      });
    });
  }

  function failure(e) {
    var code = e && e.code;
    var key = code === 'rate_limited' ? 'too_fast' : code === 'too_large' ? 'too_long' : code === 'unknown_ref' ? 'station_unknown' : 'network_error';
    push({ who: 'notice', text: t(key) });
  }

  function ask(q) {
    q = q.trim();
    if (!q) return;
    push({ who: 'me', text: q });
    typing(true);
    var body = { q: q };
    if (context) body.context = context;
    api('POST', '/api/v1/ask', body)
      .then(function (a) { typing(false); push(fromAnswer(a)); })
      .catch(function (e) { typing(false); failure(e); });
  }

  function tap(chip) {
    push({ who: 'me', text: chip.label });
    typing(true);
    api('GET', '/api/v1/answer/' + encodeURIComponent(chip.key))
      .then(function (a) { typing(false); push(fromAnswer(a)); })
      .catch(function (e) { typing(false); failure(e); });
  }

  function vote(item, index, v) {
    if (item.vote) return;
    item.vote = v;
    save();
    var row = log.children[index];
    if (row && convo[index] === item) log.replaceChild(renderItem(item, index), row);
    api('POST', '/api/v1/feedback', { key: item.feedback_key, ref: item.ref, vote: v }).catch(function () {});
  }

  function locate() {
    if (!window.isSecureContext) return push({ who: 'notice', text: t('geo_insecure') });
    if (!navigator.geolocation) return push({ who: 'notice', text: t('geo_unsupported') });
    push({ who: 'me', text: t('locate') });
    typing(true);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var c = pos.coords;
      api('GET', '/api/v1/nearby?lat=' + c.latitude.toFixed(6) + '&lon=' + c.longitude.toFixed(6))
        .then(function (a) { typing(false); push(fromAnswer(a)); })
        .catch(function (e) { typing(false); failure(e); });
    }, function (err) {
      typing(false);
      push({ who: 'notice', text: t(err && err.code === 1 ? 'geo_denied' : 'geo_failed') });
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 });
  }

  function openStation(id) {
    api('GET', '/api/v1/answer/' + encodeURIComponent('s:' + id))
      .then(function (a) {
        var item = fromAnswer(a);
        var name = a.cards && a.cards[0] ? a.cards[0].name : '';
        item.text = t('you_are_at', name);
        push(item);
      })
      .catch(function () { push({ who: 'notice', text: t('station_unknown') }); });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = input.value;
    input.value = '';
    ask(q);
  });
  document.getElementById('locate').addEventListener('click', locate);
  document.getElementById('clear').addEventListener('click', function () {
    convo = [];
    context = null;
    try { localStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
    renderAll();
    announce(t('cleared'));
  });

  renderAll();
  var station = new URLSearchParams(window.location.search).get('station');
  if (station && /^[A-Za-z0-9_-]{1,64}$/.test(station)) openStation(station);
})();

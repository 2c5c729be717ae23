// Browser-side helpers: make a cross-origin call and report what the page could observe.
// Used by the browser suite (through page.evaluate) and by the demo page.
(function () {
  'use strict';

  function observeError(err) {
    return { outcome: 'rejected', error: (err && err.name ? err.name + ': ' : '') + (err && err.message || String(err)) };
  }

  async function readResponse(resp, headerNames) {
    const text = await resp.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
    const headers = {};
    for (const name of headerNames || []) headers[name] = resp.headers.get(name);
    return { outcome: 'resolved', status: resp.status, type: resp.type, ok: resp.ok,
             redirected: resp.redirected, url: resp.url, text, json, headers };
  }

  // fetch(), as a modern page would call the API.
  async function corsFetch(url, init, headerNames) {
    try {
      const resp = await fetch(url, init || {});
      return await readResponse(resp, headerNames);
    } catch (err) {
      return observeError(err);
    }
  }

  // jQuery.getJSON, as the legacy partner pages do.
  function getJSON(url) {
    return new Promise(function (resolve) {
      window.jQuery.getJSON(url)
        .done(function (data, textStatus, xhr) {
          resolve({ outcome: 'resolved', status: xhr.status, json: data,
                    headers: { 'x-total-count': xhr.getResponseHeader('X-Total-Count') } });
        })
        .fail(function (xhr, textStatus, errorThrown) {
          resolve({ outcome: 'rejected', status: xhr.status, error: 'jQuery ' + textStatus +
                    (errorThrown ? ': ' + errorThrown : ' (status ' + xhr.status + ')') });
        });
    });
  }

  // A plain XMLHttpRequest with withCredentials, the pre-fetch way to send cookies.
  function xhr(method, url, opts) {
    opts = opts || {};
    return new Promise(function (resolve) {
      const x = new XMLHttpRequest();
      x.open(method, url);
      x.withCredentials = !!opts.withCredentials;
      for (const [k, v] of Object.entries(opts.headers || {})) x.setRequestHeader(k, v);
      x.onload = function () {
        let json = null;
        try { json = JSON.parse(x.responseText); } catch (e) { /* not JSON */ }
        resolve({ outcome: 'resolved', status: x.status, text: x.responseText, json,
                  headers: { 'x-total-count': x.getResponseHeader('X-Total-Count') } });
      };
      x.onerror = function () { resolve({ outcome: 'rejected', status: x.status, error: 'XHR network error' }); };
      x.send(opts.body === undefined ? null : opts.body);
    });
  }

  // fetch() from a sandboxed iframe: its origin is opaque, so it sends "Origin: null".
  function fetchFromSandbox(url, init) {
    return new Promise(function (resolve) {
      const frame = document.createElement('iframe');
      frame.sandbox = 'allow-scripts';
      frame.style.display = 'none';
      const channel = 'sandbox-' + Math.random().toString(36).slice(2);
      function onMessage(ev) {
        if (!ev.data || ev.data.channel !== channel) return;
        window.removeEventListener('message', onMessage);
        frame.remove();
        resolve(ev.data.result);
      }
      window.addEventListener('message', onMessage);
      frame.srcdoc = '<script>(' + function (u, i, ch) {
        fetch(u, i).then(function (r) {
          return r.text().then(function (t) {
            parent.postMessage({ channel: ch, result: { outcome: 'resolved', status: r.status, text: t } }, '*');
          });
        }, function (e) {
          parent.postMessage({ channel: ch, result: { outcome: 'rejected', error: e.name + ': ' + e.message } }, '*');
        });
      } + ')(' + JSON.stringify(url) + ',' + JSON.stringify(init || {}) + ',' + JSON.stringify(channel) + ')<\/script>';
      document.body.appendChild(frame);
    });
  }

  window.cors = { fetch: corsFetch, getJSON, xhr, fetchFromSandbox };
})();

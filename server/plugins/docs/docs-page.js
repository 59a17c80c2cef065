// /docs and /admin/docs: picks the introduction's language as the site does (?lang → saved choice →
// browser → English), then starts Swagger UI (swagger-ui-bundle.js, served beside this file) on
// the page's OpenAPI document. A file of its own because the CSP allows no inline script.
(function () {
  'use strict';
  var STORAGE_KEY = 'tollgate.lang';

  function asLang(value) {
    var v = String(value || '').toLowerCase();
    if (v === 'zh' || v.indexOf('zh-') === 0) return 'zh';
    if (v === 'en' || v.indexOf('en-') === 0) return 'en';
    return null;
  }
  function saved() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      return null;
    }
  }

  var asked = asLang(new URLSearchParams(window.location.search).get('lang'));
  var browser = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  var lang = asked || asLang(saved()) || browser.map(asLang).filter(Boolean)[0] || 'en';
  if (asked) {
    try {
      window.localStorage.setItem(STORAGE_KEY, asked);
    } catch (e) {
      // storage disabled: the choice just isn't kept
    }
  }
  var intros = document.querySelectorAll('.docs-intro');
  for (var i = 0; i < intros.length; i++) {
    var shown = intros[i].getAttribute('data-lang') === lang;
    intros[i].hidden = !shown;
    if (shown) {
      document.documentElement.lang = intros[i].getAttribute('lang');
      document.title = intros[i].getAttribute('data-title');
    }
  }

  var root = document.getElementById('swagger-ui');
  fetch(root.getAttribute('data-spec'), { headers: { accept: 'application/json' } })
    .then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    })
    .then(function (spec) {
      // Try it out talks to the server this page came from (the CSP allows only this origin).
      spec.servers = [{ url: window.location.origin }];
      window.ui = window.SwaggerUIBundle({
        spec: spec,
        domNode: root,
        presets: [window.SwaggerUIBundle.presets.apis],
        layout: 'BaseLayout',
        deepLinking: true,
        docExpansion: 'list',
        defaultModelsExpandDepth: -1,
        displayRequestDuration: true,
        validatorUrl: null,
        queryConfigEnabled: false,
        persistAuthorization: false,
        tryItOutEnabled: false,
      });
    })
    .catch(function (error) {
      var p = document.createElement('p');
      p.className = 'docs-error';
      p.textContent = 'The API description could not be loaded (' + error.message + ').';
      root.appendChild(p);
    });
})();

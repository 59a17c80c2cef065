// Tollgate's API reference: renders /docs/json (OpenAPI 3.1) and sends requests from the page.
// Plain browser JS, no dependencies, nothing loaded from elsewhere. Text goes in through
// textContent only, never innerHTML.
(function () {
  'use strict';
  var METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
  var doc;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var name in attrs) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) continue;
        if (name === 'text') node.textContent = value;
        else if (name === 'class') node.className = value;
        else if (name.slice(0, 2) === 'on') node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? '' : value);
      }
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }

  /** `code` spans and paragraphs from the descriptions' bit of Markdown. */
  function prose(text, tag) {
    var out = el(tag || 'p', { class: 'prose' });
    String(text || '').split('`').forEach(function (part, i) {
      append(out, i % 2 ? el('code', { text: part }) : part);
    });
    return out;
  }

  function deref(node) {
    var seen = 0;
    while (node && node.$ref && seen++ < 10) {
      var target = doc;
      node.$ref.replace(/^#\//, '').split('/').forEach(function (key) { target = target && target[key.replace(/~1/g, '/').replace(/~0/g, '~')]; });
      node = target;
    }
    return node || {};
  }
  function refName(node) {
    return node && node.$ref ? node.$ref.slice(node.$ref.lastIndexOf('/') + 1) : null;
  }

  function typeLabel(schema) {
    if (!schema) return 'any';
    if (schema.$ref) return refName(schema);
    if ('const' in schema) return JSON.stringify(schema.const);
    var variants = schema.anyOf || schema.oneOf;
    if (variants) return variants.map(typeLabel).join(' | ');
    if (schema.enum) return schema.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
    var type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
    if (type === 'array') return 'array of ' + typeLabel(schema.items);
    if (!type) return schema.properties ? 'object' : 'any';
    return schema.format && schema.format !== type ? type + ' (' + schema.format + ')' : type;
  }

  function constraints(schema) {
    var notes = [];
    var pairs = [['minimum', '≥ '], ['maximum', '≤ '], ['minLength', 'length ≥ '], ['maxLength', 'length ≤ '], ['minItems', 'items ≥ '], ['maxItems', 'items ≤ '], ['pattern', 'pattern '], ['default', 'default ']];
    pairs.forEach(function (p) { if (schema[p[0]] !== undefined) notes.push(p[1] + (typeof schema[p[0]] === 'string' ? schema[p[0]] : JSON.stringify(schema[p[0]]))); });
    if (schema.examples && schema.examples.length && typeof schema.examples[0] !== 'object') notes.push('e.g. ' + JSON.stringify(schema.examples[0]));
    return notes;
  }

  /** The fields of an object schema as a nested list; arrays and unions show their object members. */
  function schemaTree(schema, depth) {
    depth = depth || 0;
    var s = deref(schema);
    if (depth > 6) return null;
    if (s.type === 'array' || (Array.isArray(s.type) && s.type.indexOf('array') >= 0)) return schemaTree(s.items, depth + 1);
    var variants = s.anyOf || s.oneOf;
    if (variants) {
      var objects = variants.map(deref).filter(function (v) { return v.properties; });
      return objects.length === 1 ? schemaTree(objects[0], depth + 1) : null;
    }
    if (!s.properties) return null;
    var required = s.required || [];
    var list = el('ul', { class: 'fields' });
    Object.keys(s.properties).forEach(function (name) {
      var prop = s.properties[name];
      var real = deref(prop);
      var child = schemaTree(prop, depth + 1);
      list.appendChild(
        el('li', null,
          el('div', { class: 'field' },
            el('code', { class: 'name', text: name }),
            el('span', { class: 'type', text: typeLabel(prop) }),
            required.indexOf(name) >= 0 ? el('span', { class: 'required', text: 'required' }) : null,
            constraints(real).map(function (n) { return el('span', { class: 'note', text: n }); })),
          real.description ? prose(real.description, 'div') : null,
          child),
      );
    });
    if (s.additionalProperties === true) list.appendChild(el('li', { class: 'more', text: 'other fields are accepted and passed on' }));
    return list;
  }

  function exampleText(media) {
    var value = media.example !== undefined ? media.example : media.examples ? Object.values(media.examples)[0].value : undefined;
    if (value === undefined) return null;
    return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  }

  function mediaBlock(content) {
    return Object.keys(content || {}).map(function (type) {
      var media = content[type];
      var example = exampleText(media);
      return el('div', { class: 'media' },
        el('div', { class: 'media-type', text: type }),
        schemaTree(media.schema),
        example ? el('details', { class: 'example', open: true }, el('summary', { text: 'Example' }), el('pre', { text: example })) : null);
    });
  }

  function paramTable(params) {
    if (!params || !params.length) return null;
    return el('table', { class: 'params' },
      el('thead', null, el('tr', null, ['Name', 'In', 'Type', 'Description'].map(function (h) { return el('th', { text: h }); }))),
      el('tbody', null, params.map(function (p) {
        p = deref(p);
        var schema = deref(p.schema);
        return el('tr', null,
          el('td', null, el('code', { text: p.name }), p.required ? el('span', { class: 'required', text: 'required' }) : null),
          el('td', { text: p.in }),
          el('td', { text: typeLabel(p.schema) }),
          el('td', null, prose(p.description || schema.description || '', 'span'), constraints(schema).map(function (n) { return el('span', { class: 'note', text: n }); })));
      })));
  }

  function securityOf(op) {
    var req = op.security || doc.security || [];
    var names = [];
    req.forEach(function (r) { Object.keys(r).forEach(function (k) { if (names.indexOf(k) < 0) names.push(k); }); });
    return names;
  }

  function opId(method, path) {
    return 'op-' + method + path.replace(/[^A-Za-z0-9]+/g, '-');
  }

  // ---- try it ----------------------------------------------------------------

  var credentials = { buyerKey: sessionStorage.getItem('tollgate-docs-buyerKey') || '', adminToken: sessionStorage.getItem('tollgate-docs-adminToken') || '' };

  function tryForm(method, path, op) {
    var params = (op.parameters || []).map(deref);
    var inputs = {};
    var body = op.requestBody && deref(op.requestBody).content && deref(op.requestBody).content['application/json'];
    var bodyInput = body ? el('textarea', { class: 'body-input', rows: 8, spellcheck: 'false' }) : null;
    if (bodyInput) bodyInput.value = exampleText(body) || '{}';
    var status = el('div', { class: 'status' });
    var headersOut = el('pre', { class: 'headers-out' });
    var output = el('pre', { class: 'body-out' });
    var security = securityOf(op);

    async function send(event) {
      event.preventDefault();
      var url = path.replace(/\{([^}]+)\}/g, function (_, name) { return encodeURIComponent(inputs[name] ? inputs[name].value : ''); });
      var query = new URLSearchParams();
      params.forEach(function (p) { if (p.in === 'query' && inputs[p.name].value !== '') query.set(p.name, inputs[p.name].value); });
      if (query.toString()) url += '?' + query;
      var headers = {};
      security.forEach(function (name) { if (credentials[name]) headers.authorization = 'Bearer ' + credentials[name]; });
      var init = { method: method.toUpperCase(), headers: headers };
      if (bodyInput) {
        headers['content-type'] = 'application/json';
        init.body = bodyInput.value;
      }
      status.textContent = 'Sending…';
      status.className = 'status';
      headersOut.textContent = '';
      output.textContent = '';
      var started = performance.now();
      try {
        var res = await fetch(url, init);
        status.textContent = res.status + ' ' + res.statusText + ' · ' + Math.round(performance.now() - started) + ' ms to headers';
        status.className = 'status ' + (res.ok ? 'ok' : 'bad');
        var shown = [];
        res.headers.forEach(function (value, name) { if (/^(content-type|retry-after|x-request-id|x-tollgate-|x-ratelimit-)/.test(name)) shown.push(name + ': ' + value); });
        headersOut.textContent = shown.join('\n');
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var text = '';
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          text += decoder.decode(chunk.value, { stream: true });
          output.textContent = text;
        }
        try { output.textContent = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { output.textContent = text; }
      } catch (error) {
        status.textContent = 'Failed: ' + error;
        status.className = 'status bad';
      }
    }

    return el('details', { class: 'try' },
      el('summary', { text: 'Try it' }),
      el('form', { onsubmit: send },
        security.length ? el('p', { class: 'hint', text: security.indexOf('adminToken') >= 0 ? 'Sends the admin token from the top of the page.' : 'Sends the buyer key from the top of the page.' }) : null,
        params.map(function (p) {
          var input = el('input', { type: 'text', name: p.name, placeholder: p.schema && p.schema.default !== undefined ? String(p.schema.default) : '' });
          inputs[p.name] = input;
          return el('label', { class: 'param' }, el('span', { text: p.name + ' (' + p.in + ')' }), input);
        }),
        bodyInput ? el('label', { class: 'param' }, el('span', { text: 'JSON body' }), bodyInput) : null,
        el('button', { type: 'submit', text: 'Send ' + method.toUpperCase() + ' ' + path })),
      status, headersOut, output);
  }

  // ---- page ------------------------------------------------------------------

  function operationSection(method, path, op) {
    var security = securityOf(op);
    var responses = op.responses || {};
    return el('section', { class: 'op', id: opId(method, path) },
      el('h3', null, el('span', { class: 'method ' + method, text: method.toUpperCase() }), el('code', { class: 'path', text: path })),
      op.summary ? el('p', { class: 'summary', text: op.summary }) : null,
      op.description ? prose(op.description) : null,
      el('p', { class: 'auth' }, 'Authentication: ', security.length ? security.map(function (name) {
        var scheme = (doc.components.securitySchemes || {})[name] || {};
        return el('span', { class: 'badge', title: scheme.description || '', text: name + ' (' + (scheme.scheme || scheme.type || '') + ')' });
      }) : 'none'),
      op.parameters && op.parameters.length ? [el('h4', { text: 'Parameters' }), paramTable(op.parameters)] : null,
      op.requestBody ? [el('h4', { text: 'Request body' }), mediaBlock(deref(op.requestBody).content)] : null,
      el('h4', { text: 'Responses' }),
      Object.keys(responses).map(function (code) {
        var response = deref(responses[code]);
        var headers = response.headers || {};
        return el('details', { class: 'response', open: /^2/.test(code) },
          el('summary', null, el('span', { class: 'code c' + code.charAt(0), text: code }), ' ', response.description || '', refName(responses[code]) ? el('span', { class: 'note', text: refName(responses[code]) }) : null),
          Object.keys(headers).length ? el('table', { class: 'params' }, el('tbody', null, Object.keys(headers).map(function (h) {
            return el('tr', null, el('td', null, el('code', { text: h })), el('td', null, prose(deref(headers[h]).description || '', 'span')));
          }))) : null,
          mediaBlock(response.content));
      }),
      tryForm(method, path, op));
  }

  function operationsByTag() {
    var groups = {};
    (doc.tags || []).forEach(function (tag) { groups[tag.name] = []; });
    Object.keys(doc.paths).forEach(function (path) {
      METHODS.forEach(function (method) {
        var op = doc.paths[path][method];
        if (!op) return;
        (op.tags && op.tags.length ? op.tags : ['Other']).forEach(function (tag) { (groups[tag] = groups[tag] || []).push({ method: method, path: path, op: op }); });
      });
    });
    return groups;
  }

  function credentialInput(name, label) {
    var input = el('input', { type: 'password', autocomplete: 'off', placeholder: label, 'aria-label': label });
    input.value = credentials[name];
    input.addEventListener('input', function () {
      credentials[name] = input.value.trim();
      sessionStorage.setItem('tollgate-docs-' + name, credentials[name]);
    });
    return el('label', { class: 'credential' }, el('span', { text: label }), input);
  }

  function render() {
    var groups = operationsByTag();
    var nav = el('nav', { class: 'sidebar' });
    var filter = el('input', { type: 'search', placeholder: 'Filter routes', 'aria-label': 'Filter routes' });
    nav.appendChild(filter);
    var main = el('main', null,
      el('header', { class: 'intro' },
        el('h1', null, doc.info.title, ' ', el('span', { class: 'version', text: doc.info.version })),
        prose(doc.info.description),
        doc.servers && doc.servers[0] ? el('p', null, 'Base URL: ', el('code', { text: doc.servers[0].url })) : null,
        el('div', { class: 'credentials' }, credentialInput('buyerKey', 'Buyer key (sk-gateway-…)'), credentialInput('adminToken', 'Admin token')),
        el('p', { class: 'hint' }, 'Keys stay in this tab (sessionStorage) and go only to this server. The raw document: ', el('a', { href: '/docs/json', text: '/docs/json' }))));
    var tags = doc.tags || [];
    Object.keys(groups).forEach(function (name) {
      var ops = groups[name];
      if (!ops.length) return;
      var tag = tags.filter(function (t) { return t.name === name; })[0] || {};
      var links = el('ul', null, ops.map(function (o) {
        return el('li', { 'data-filter': (o.method + ' ' + o.path + ' ' + (o.op.summary || '')).toLowerCase() },
          el('a', { href: '#' + opId(o.method, o.path) }, el('span', { class: 'method ' + o.method, text: o.method.toUpperCase() }), ' ', o.path));
      }));
      nav.appendChild(el('div', { class: 'group' }, el('h2', { text: name }), links));
      main.appendChild(el('section', { class: 'tag', id: 'tag-' + name.replace(/\W+/g, '-') },
        el('h2', { text: name }), tag.description ? prose(tag.description) : null,
        ops.map(function (o) { return operationSection(o.method, o.path, o.op); })));
    });
    filter.addEventListener('input', function () {
      var q = filter.value.toLowerCase();
      nav.querySelectorAll('li').forEach(function (li) { li.hidden = q !== '' && li.getAttribute('data-filter').indexOf(q) < 0; });
    });
    var root = document.getElementById('app');
    root.textContent = '';
    root.appendChild(nav);
    root.appendChild(main);
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  fetch('/docs/json')
    .then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    })
    .then(function (json) {
      doc = json;
      render();
    })
    .catch(function (error) {
      document.getElementById('app').textContent = 'Could not load /docs/json: ' + error.message;
    });
})();

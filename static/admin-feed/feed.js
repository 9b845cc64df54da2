// The live admin feed: audit events and customer changes over graphql-ws, as they commit.
// Served by the service at /admin/feed (src/http/admin-feed.ts) under a CSP without inline
// script. Everything shown is set with textContent, never parsed as HTML: customer names,
// emails and audited values are user input.
(function () {
  'use strict';

  /** Rows kept in the page; older ones drop off the end. */
  var MAX_ROWS = 500;
  /** graphql-ws close codes of a refused token (README "graphql-ws: errors and close codes"). */
  var UNAUTHORIZED = 4401;
  var TOKEN_EXPIRED = 4403;

  var AUDIT = 'subscription AdminFeedAudit { auditEventRecorded { id eventType severity customerId actorId oldValues newValues createdAt } }';
  var CHANGES = 'subscription AdminFeedChanges { customerChanged { eventId type customerId occurredAt customer { displayName email } } }';

  var $ = function (id) {
    return document.getElementById(id);
  };
  var el = {
    state: $('state'),
    signIn: $('sign-in'),
    form: $('sign-in-form'),
    token: $('token'),
    message: $('sign-in-message'),
    signOut: $('sign-out'),
    feed: $('feed'),
    rows: $('rows'),
    empty: $('empty'),
    count: $('count'),
    clear: $('clear'),
    filterCustomer: $('filter-customer'),
    filterType: $('filter-type'),
  };

  var session = null; // { token, client, disposers: [] }
  var entries = []; // newest first: { row, customerId, nameEl, email, type } (filter texts in lower case)
  var names = new Map(); // customerId -> display name, learnt from change events

  function setState(name, text) {
    el.state.className = 'state state-' + name;
    el.state.textContent = text;
  }

  /** The token's claims, for the messages only: the service is what checks it. */
  function claimsOf(token) {
    try {
      var part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(part + '==='.slice((part.length + 3) % 4)));
    } catch {
      return {};
    }
  }

  function hasExpired(token) {
    var exp = claimsOf(token).exp;
    return typeof exp === 'number' && exp * 1000 <= Date.now();
  }

  // ---------------------------------------------------------------------------------------
  // Signing in and out

  function signIn(token) {
    signOut(null);
    var client = graphqlWs.createClient({
      url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql',
      lazy: false,
      connectionParams: function () {
        return { authorization: 'Bearer ' + token };
      },
      // Reconnect after a network failure or a restart, for as long as it takes; never after
      // a refused token (4401) or one that expired while open (4403): that needs a new one.
      retryAttempts: Infinity,
      shouldRetry: function (e) {
        return !(e && (e.code === UNAUTHORIZED || e.code === TOKEN_EXPIRED));
      },
      retryWait: function (retries) {
        return new Promise(function (resolve) {
          setTimeout(resolve, Math.min(1000 * Math.pow(2, retries), 15000));
        });
      },
      on: {
        connecting: function (isRetry) {
          if (isRetry) setState('reconnecting', 'Reconnecting...');
          else setState('connecting', 'Connecting...');
        },
        connected: function () {
          setState('connected', 'Connected');
        },
        closed: function (event) {
          if (!session || session.client !== client) return;
          if (event && (event.code === UNAUTHORIZED || event.code === TOKEN_EXPIRED)) {
            signOut(
              hasExpired(token) || event.code === TOKEN_EXPIRED
                ? 'Signed out: the token has expired. Sign in with a new one.'
                : 'Signed out: the token was refused (' + (event.reason || event.code) + ').',
            );
          } else {
            setState('reconnecting', 'Reconnecting...');
          }
        },
      },
      onNonLazyError: function () {},
    });
    session = { token: token, client: client, disposers: [] };
    try {
      sessionStorage.setItem('adminFeedToken', token);
    } catch {
      /* storage off: the token lives in memory only */
    }
    el.signIn.hidden = true;
    el.feed.hidden = false;
    el.signOut.hidden = false;
    setState('connecting', 'Connecting...');
    follow(AUDIT, function (data) {
      addAudit(data.auditEventRecorded);
    });
    follow(CHANGES, function (data) {
      addChange(data.customerChanged);
    });
  }

  /** Ends the session; with a message, shows it on the sign-in form. */
  function signOut(message) {
    var ending = session;
    session = null;
    if (ending) {
      ending.disposers.forEach(function (dispose) {
        dispose();
      });
      ending.client.dispose();
    }
    try {
      sessionStorage.removeItem('adminFeedToken');
    } catch {
      /* nothing stored */
    }
    el.signIn.hidden = false;
    el.signOut.hidden = true;
    el.feed.hidden = entries.length === 0;
    el.message.hidden = !message;
    el.message.textContent = message || '';
    setState('signed-out', message && /expired/.test(message) ? 'Signed out (token expired)' : 'Signed out');
  }

  function follow(query, onData) {
    var current = session;
    var dispose = current.client.subscribe(
      { query: query },
      {
        next: function (result) {
          if (session !== current) return;
          if (result.errors && result.errors.length) return refused(result.errors);
          if (result.data) onData(result.data);
        },
        error: function (err) {
          if (session !== current) return;
          // A close event is handled by `closed` above; an array is the errors of an `error` message.
          if (Array.isArray(err)) refused(err);
        },
        complete: function () {},
      },
    );
    current.disposers.push(dispose);
  }

  /** A subscription refused or ended by the service: nothing more will come on this token. */
  function refused(errors) {
    var code = errors[0] && errors[0].extensions && errors[0].extensions.code;
    if (code === 'FORBIDDEN') signOut("Signed out: this token is not an ADMIN's (the feed is for ADMIN only).");
    else if (code === 'UNAUTHENTICATED')
      signOut(hasExpired(session.token) ? 'Signed out: the token has expired. Sign in with a new one.' : 'Signed out: ' + errors[0].message);
    else setState('error', 'Error: ' + (errors[0] && errors[0].message));
  }

  // ---------------------------------------------------------------------------------------
  // Rows

  function cell(text, className) {
    var td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function shortId(id) {
    return id ? id.slice(0, 8) : '';
  }

  /** The customer's name (when known: audit events carry only the id), email and short id. */
  function customerCell(id, name, email) {
    var td = document.createElement('td');
    var nameEl = document.createElement('span');
    nameEl.className = 'name';
    nameEl.textContent = name || names.get(id) || '';
    td.appendChild(nameEl);
    if (email) {
      var mail = document.createElement('span');
      mail.className = 'email';
      mail.textContent = email;
      td.appendChild(mail);
    }
    if (id) {
      var small = document.createElement('span');
      small.className = 'id';
      small.textContent = shortId(id);
      small.title = id;
      td.appendChild(small);
    }
    return td;
  }

  /** A change event told us a customer's name: show it on their rows that lacked it. */
  function learnName(id, name) {
    names.set(id, name);
    entries.forEach(function (entry) {
      if (entry.customerId === id && !entry.nameEl.textContent) {
        entry.nameEl.textContent = name;
        entry.row.hidden = !matches(entry);
      }
    });
    refreshCount();
  }

  function show(value) {
    if (value === null || value === undefined) return '\u2205';
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  /** One line per changed field: `firstName: Ann -> Anna` (values as text, whatever they hold). */
  function changesCell(oldValues, newValues) {
    var td = document.createElement('td');
    td.className = 'changes';
    var before = oldValues || {};
    var after = newValues || {};
    Object.keys(Object.assign({}, before, after)).forEach(function (field) {
      var line = document.createElement('div');
      var name = document.createElement('span');
      name.className = 'field';
      name.textContent = field;
      line.appendChild(name);
      line.appendChild(document.createTextNode(field in before ? ': ' + show(before[field]) + ' \u2192 ' + show(after[field]) : ': ' + show(after[field])));
      td.appendChild(line);
    });
    return td;
  }

  function timeCell(iso) {
    var td = cell(new Date(iso).toLocaleTimeString([], { hour12: false }) + '.' + String(new Date(iso).getMilliseconds()).padStart(3, '0'), 'time');
    td.title = iso;
    return td;
  }

  function add(row, customerId, email, type) {
    var entry = { row: row, customerId: customerId || '', nameEl: row.querySelector('.name'), email: (email || '').toLowerCase(), type: type.toLowerCase() };
    entries.unshift(entry);
    el.rows.insertBefore(row, el.rows.firstChild);
    while (entries.length > MAX_ROWS) el.rows.removeChild(entries.pop().row);
    row.hidden = !matches(entry);
    row.classList.add('fresh');
    setTimeout(function () {
      row.classList.remove('fresh');
    }, 1500);
    refreshCount();
  }

  function addAudit(e) {
    var tr = document.createElement('tr');
    tr.className = 'audit severity-' + String(e.severity).toLowerCase();
    tr.appendChild(timeCell(e.createdAt));
    tr.appendChild(cell('audit', 'kind'));
    tr.appendChild(cell(e.eventType, 'what'));
    tr.appendChild(customerCell(e.customerId, null, null));
    tr.appendChild(cell(e.actorId || '\u2014', 'who'));
    tr.appendChild(changesCell(e.oldValues, e.newValues));
    add(tr, e.customerId, null, e.eventType);
  }

  function addChange(e) {
    var customer = e.customer || {};
    var tr = document.createElement('tr');
    tr.className = 'change';
    tr.appendChild(timeCell(e.occurredAt));
    tr.appendChild(cell('change', 'kind'));
    tr.appendChild(cell(e.type, 'what'));
    tr.appendChild(customerCell(e.customerId, customer.displayName, customer.email));
    tr.appendChild(cell('\u2014', 'who'));
    tr.appendChild(cell(e.customer ? '' : 'deleted', 'changes'));
    add(tr, e.customerId, customer.email, e.type);
    if (customer.displayName) learnName(e.customerId, customer.displayName);
  }

  // ---------------------------------------------------------------------------------------
  // Filters: in the page, over the rows already shown as well as new ones.

  function matches(entry) {
    var customer = el.filterCustomer.value.trim().toLowerCase();
    var type = el.filterType.value.trim().toLowerCase();
    var who = [entry.customerId, entry.nameEl.textContent, entry.email].join(' ').toLowerCase();
    return (!customer || who.indexOf(customer) >= 0) && (!type || entry.type.indexOf(type) >= 0);
  }

  function refreshCount() {
    var shown = entries.filter(function (e) {
      return !e.row.hidden;
    }).length;
    el.empty.hidden = entries.length > 0;
    el.count.textContent = entries.length === 0 ? '' : shown === entries.length ? entries.length + ' events' : shown + ' of ' + entries.length + ' events';
  }

  function applyFilters() {
    entries.forEach(function (entry) {
      entry.row.hidden = !matches(entry);
    });
    refreshCount();
  }

  el.filterCustomer.addEventListener('input', applyFilters);
  el.filterType.addEventListener('input', applyFilters);
  el.clear.addEventListener('click', function () {
    entries.forEach(function (entry) {
      el.rows.removeChild(entry.row);
    });
    entries = [];
    refreshCount();
  });
  el.form.addEventListener('submit', function (event) {
    event.preventDefault();
    var token = el.token.value.trim().replace(/^Bearer\s+/i, '');
    el.token.value = '';
    if (token) signIn(token);
  });
  el.signOut.addEventListener('click', function () {
    signOut(null);
  });

  var saved = null;
  try {
    saved = sessionStorage.getItem('adminFeedToken');
  } catch {
    /* storage off */
  }
  if (saved) signIn(saved);
})();

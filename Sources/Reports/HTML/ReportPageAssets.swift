/// The style sheet and script of `report.html`, inlined into every page: the page fetches
/// nothing, and its Content-Security-Policy allows nothing but these and `data:` pictures.
enum ReportPageAssets {
    /// Sources the page may use: inline style and script, pictures from `data:` URLs only.
    static let contentSecurityPolicy = "default-src 'none'; img-src data:; "
        + "style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; "
        + "form-action 'none'"

    static let style = """
        body { font-family: system-ui, sans-serif; margin: 0 1.5rem 3rem; color: #1b1b1b; }
        header { border-bottom: 1px solid #ccc; padding: 1rem 0; }
        h1 { font-size: 1.5rem; margin: 0 0 .4rem; }
        h2 { font-size: 1.2rem; margin-top: 2rem; }
        .notice { background: #fff3cd; border: 1px solid #e0c36b; padding: .4rem .7rem;
          display: inline-block; font-weight: 600; margin: .4rem 0; }
        .meta { margin: .2rem 0; color: #444; }
        .figures { display: flex; flex-wrap: wrap; gap: .8rem; }
        .figure { border: 1px solid #ddd; border-radius: 4px; padding: .5rem .8rem;
          min-width: 7rem; }
        .figure b { display: block; font-size: 1.4rem; }
        .charts { display: flex; flex-wrap: wrap; gap: 1rem; }
        .charts svg { width: 420px; max-width: 100%; height: auto; border: 1px solid #eee; }
        .controls { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center;
          margin: .6rem 0; }
        table { border-collapse: collapse; font-size: .9rem; }
        th, td { border-bottom: 1px solid #e4e4e4; padding: .25rem .5rem; text-align: left;
          vertical-align: middle; }
        th button { font: inherit; font-weight: 600; background: none; border: 0;
          cursor: pointer; padding: 0; }
        th[aria-sort="ascending"] button::after { content: " \\25B2"; }
        th[aria-sort="descending"] button::after { content: " \\25BC"; }
        #case-table tbody tr { cursor: pointer; }
        #case-table tbody tr:hover, #case-table tbody tr.selected { background: #eef4ff; }
        tr.failed td { color: #a11; }
        tr.flagged td { background: #fff0f0; }
        img.thumb { width: 48px; height: 48px; object-fit: contain; image-rendering: auto; }
        .pictures { display: flex; flex-wrap: wrap; gap: 1rem; }
        .pictures figure { margin: 0; }
        .frame { width: 256px; height: 256px; display: flex; align-items: center;
          justify-content: center; background: #f4f4f4; overflow: hidden; position: relative; }
        .frame img.layer { position: absolute; left: 0; top: 0; }
        .frame img { width: 256px; height: 256px; object-fit: contain; }
        .pose-r1 { transform: rotate(90deg); }
        .pose-r2 { transform: rotate(180deg); }
        .pose-r3 { transform: rotate(270deg); }
        .pose-r0m { transform: scaleX(-1); }
        .pose-r1m { transform: scaleX(-1) rotate(90deg); }
        .pose-r2m { transform: scaleX(-1) rotate(180deg); }
        .pose-r3m { transform: scaleX(-1) rotate(270deg); }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
        dl.facts dt { font-weight: 600; }
        dl.facts dd { margin: 0; white-space: pre-wrap; }
        .muted { color: #666; }
        """

    /// The case table: sort by a column, filter by text and status, pages of 25–250 rows;
    /// pictures become `<img>` elements only for the rows shown, so a page of 10,000 cases
    /// builds no more than a page's worth. A row (or `report.html#case=ID`) opens the case
    /// view. Every value goes in through `textContent`.
    static let script = """
        (function () {
          'use strict';
          function json(id) { return JSON.parse(document.getElementById(id).textContent); }
          var cases = json('case-data');
          var config = json('report-config');
          var table = document.getElementById('case-table');
          var body = table.tBodies[0];
          var state = { key: 'id', direction: 1, text: '', status: 'all', page: 0,
            size: config.pageSize };
          var shown = cases;

          function byId(id) { return document.getElementById(id); }
          function picture(kind, index) {
            var block = byId(kind + '-' + index);
            return block ? 'data:image/png;base64,' + block.textContent.trim() : null;
          }
          function missing(x) { return x === null || x === undefined; }
          function fixed(x, digits) { return missing(x) ? '' : Number(x).toFixed(digits); }
          function value(c, key) {
            if (key.indexOf('area:') === 0) {
              return c.areasPx ? c.areasPx[key.slice(5)] : null;
            }
            switch (key) {
              case 'id': return c.id;
              case 'status': return c.flagged ? 'flagged' : c.status;
              case 'label': return c.label;
              case 'confidence': return c.confidence;
              case 'pose': return c.pose ? c.pose.name : null;
              case 'poseConfidence': return c.pose ? c.pose.confidence : null;
              case 'seconds': return c.seconds;
              case 'orbit': return orbitValue(c);
              case 'error': return c.error ? c.error.stage + ': ' + c.error.message : null;
            }
            return null;
          }
          function orbitValue(c) {
            if (!c.orbit) { return null; }
            var o = c.orbit;
            var spread = o.stages.map(function (s) { return s.probabilitySpread; })
              .filter(function (x) { return !missing(x); });
            var dice = o.stages.map(function (s) { return s.minDice; })
              .filter(function (x) { return !missing(x); });
            if (dice.length) { return Math.min.apply(null, dice); }
            if (spread.length) { return -Math.max.apply(null, spread); }
            return o.consistent ? 1 : 0;
          }
          function orbitText(c) {
            if (!c.orbit) { return ''; }
            var parts = [c.orbit.consistent ? 'consistent' : 'INCONSISTENT'];
            c.orbit.stages.forEach(function (s) {
              if (!missing(s.probabilitySpread)) {
                parts.push('spread ' + Number(s.probabilitySpread).toExponential(1));
              }
              if (!missing(s.minDice)) { parts.push('min Dice ' + fixed(s.minDice, 3)); }
            });
            return parts.join(', ');
          }
          function compare(a, b) {
            var x = value(a, state.key), y = value(b, state.key);
            if (missing(x) || missing(y)) {
              if (missing(x) && missing(y)) { return a.index - b.index; }
              return missing(x) ? 1 : -1;
            }
            if (x < y) { return -state.direction; }
            if (x > y) { return state.direction; }
            return a.index - b.index;
          }
          function matches(c) {
            if (state.status === 'flagged' && !c.flagged) { return false; }
            if (state.status === 'uncertain' && !(c.pose && c.pose.uncertain)) { return false; }
            if ((state.status === 'ok' || state.status === 'failed') && c.status !== state.status) {
              return false;
            }
            if (!state.text) { return true; }
            var text = [c.id, c.label || '', c.error ? c.error.stage + ' ' + c.error.message : '']
              .join(' ').toLowerCase();
            return text.indexOf(state.text) >= 0;
          }
          function poseNote(pose) {
            if (pose.uncertain) { return ' (uncertain)'; }
            return pose.mirrorUncertain ? ' (mirror uncertain)' : '';
          }
          function cell(row, content) {
            var td = document.createElement('td');
            if (content instanceof Node) { td.appendChild(content); }
            else { td.textContent = missing(content) ? '' : String(content); }
            row.appendChild(td);
          }
          function image(src, className) {
            var img = document.createElement('img');
            img.src = src;
            img.alt = '';
            if (className) { img.className = className; }
            return img;
          }
          function row(c) {
            var tr = document.createElement('tr');
            tr.tabIndex = 0;
            tr.setAttribute('data-index', String(c.index));
            if (c.flagged) { tr.className = 'flagged'; }
            else if (c.status === 'failed') { tr.className = 'failed'; }
            var src = picture('scan', c.index);
            cell(tr, src ? image(src, 'thumb') : '');
            cell(tr, c.id);
            cell(tr, c.flagged ? 'flagged' : c.status);
            if (config.classifier) {
              cell(tr, c.label);
              cell(tr, fixed(c.confidence, 3));
            }
            if (config.poses) {
              cell(tr, c.pose ? c.pose.name + poseNote(c.pose) : '');
              cell(tr, c.pose ? fixed(c.pose.confidence, 3) : '');
            }
            config.areaLabels.forEach(function (label) {
              cell(tr, c.areasPx ? c.areasPx[label] : '');
            });
            cell(tr, fixed(c.seconds, 3));
            if (config.orbit) { cell(tr, orbitText(c)); }
            cell(tr, c.error ? c.error.stage + ': ' + c.error.message : '');
            tr.addEventListener('click', function () { show(c, tr); });
            tr.addEventListener('keydown', function (event) {
              if (event.key === 'Enter') { show(c, tr); }
            });
            return tr;
          }
          function render() {
            var pages = Math.max(1, Math.ceil(shown.length / state.size));
            state.page = Math.min(state.page, pages - 1);
            var start = state.page * state.size;
            var fragment = document.createDocumentFragment();
            shown.slice(start, start + state.size).forEach(function (c) {
              fragment.appendChild(row(c));
            });
            body.replaceChildren(fragment);
            table.setAttribute('data-shown', String(shown.length));
            byId('page-info').textContent = 'Page ' + (state.page + 1) + ' of ' + pages
              + ' \\u00b7 ' + shown.length + ' of ' + cases.length + ' cases';
            byId('previous-page').disabled = state.page === 0;
            byId('next-page').disabled = state.page >= pages - 1;
            var headers = table.tHead.querySelectorAll('th[data-key]');
            Array.prototype.forEach.call(headers, function (th) {
              if (th.getAttribute('data-key') === state.key) {
                th.setAttribute('aria-sort', state.direction > 0 ? 'ascending' : 'descending');
              } else {
                th.removeAttribute('aria-sort');
              }
            });
          }
          function update() {
            shown = cases.filter(matches);
            shown.sort(compare);
            render();
          }
          function fact(list, name, text) {
            var dt = document.createElement('dt');
            dt.textContent = name;
            var dd = document.createElement('dd');
            dd.textContent = text;
            list.appendChild(dt);
            list.appendChild(dd);
          }
          function figure(src, caption, className, layer) {
            var f = document.createElement('figure');
            var frame = document.createElement('div');
            frame.className = 'frame';
            frame.appendChild(image(src, className));
            if (layer) { frame.appendChild(image(layer, 'layer')); }
            f.appendChild(frame);
            var text = document.createElement('figcaption');
            text.textContent = caption;
            f.appendChild(text);
            return f;
          }
          function entries(map, digits) {
            return Object.keys(map).sort().map(function (k) {
              return k + ': ' + (digits === null ? map[k] : fixed(map[k], digits));
            }).join('\\n');
          }
          function show(c, tr) {
            Array.prototype.forEach.call(body.querySelectorAll('tr.selected'), function (r) {
              r.classList.remove('selected');
            });
            if (tr) { tr.classList.add('selected'); }
            if (location.hash !== '#case=' + encodeURIComponent(c.id)) {
              history.replaceState(null, '', '#case=' + encodeURIComponent(c.id));
            }
            var view = byId('case-view');
            view.hidden = false;
            byId('case-title').textContent = c.id;
            var pictures = byId('case-pictures');
            pictures.replaceChildren();
            var scan = picture('scan', c.index);
            if (scan) {
              pictures.appendChild(figure(scan, 'Scan'));
              if (c.pose && c.pose.uncertain) {
                pictures.appendChild(figure(scan, 'Not turned: pose ' + c.pose.name
                  + ' uncertain (confidence ' + fixed(c.pose.confidence, 3) + ')'));
              } else if (c.pose && c.pose.mirrorUncertain) {
                // Only the rotation was undone: the mirror is a guess, left as it is.
                pictures.appendChild(figure(scan, 'Canonical (pose ' + c.pose.name
                  + ', confidence ' + fixed(c.pose.confidence, 3) + '; mirror uncertain, '
                  + 'not undone)', 'pose-r' + c.pose.rotation));
              } else if (c.pose) {
                pictures.appendChild(figure(scan, 'Canonical (pose ' + c.pose.name
                  + ', confidence ' + fixed(c.pose.confidence, 3) + ')', 'pose-' + c.pose.name));
              }
            }
            var overlay = picture('overlay', c.index);
            if (scan && overlay) {
              pictures.appendChild(figure(scan, 'Segmentation overlay', null, overlay));
            }
            var notes = byId('notes-' + c.index);
            var facts = byId('case-facts');
            facts.replaceChildren();
            fact(facts, 'Input', c.input);
            fact(facts, 'Status', c.flagged ? 'flagged (orbit inconsistent)' : c.status);
            if (c.error) { fact(facts, 'Error', c.error.stage + ': ' + c.error.message); }
            if (c.label) { fact(facts, 'Label', c.label + ' (' + fixed(c.confidence, 3) + ')'); }
            if (c.probabilities) { fact(facts, 'Probabilities', entries(c.probabilities, 4)); }
            if (c.pose) {
              fact(facts, 'Pose', c.pose.name + ', confidence ' + fixed(c.pose.confidence, 3)
                + poseNote(c.pose));
            }
            if (c.areasPx) { fact(facts, 'Areas (px)', entries(c.areasPx, null)); }
            if (c.areasMm2) { fact(facts, 'Areas (mm\\u00b2)', entries(c.areasMm2, 3)); }
            if (c.orbit) {
              fact(facts, 'Orbit check', c.orbit.stages.map(function (s) {
                var detail = s.labels ? entries(s.labels, null) : entries(s.dice || {}, 4);
                return s.stage + ' (' + s.group + '): '
                  + (s.consistent ? 'consistent' : 'INCONSISTENT') + '\\n' + detail;
              }).join('\\n'));
            }
            fact(facts, 'Seconds', entries(c.stageSeconds, 4));
            if (notes) { fact(facts, 'Pictures', JSON.parse(notes.textContent).join('\\n')); }
          }

          Array.prototype.forEach.call(table.tHead.querySelectorAll('th[data-key] button'),
            function (button) {
              button.addEventListener('click', function () {
                var key = button.parentNode.getAttribute('data-key');
                state.direction = state.key === key ? -state.direction : 1;
                state.key = key;
                update();
              });
            });
          byId('case-filter').addEventListener('input', function (event) {
            state.text = event.target.value.trim().toLowerCase();
            state.page = 0;
            update();
          });
          byId('status-filter').addEventListener('change', function (event) {
            state.status = event.target.value;
            state.page = 0;
            update();
          });
          byId('page-size').addEventListener('change', function (event) {
            state.size = Number(event.target.value);
            state.page = 0;
            render();
          });
          byId('previous-page').addEventListener('click', function () {
            state.page -= 1;
            render();
          });
          byId('next-page').addEventListener('click', function () {
            state.page += 1;
            render();
          });
          update();
          // report.html#case=ID opens that case: links to a case can be shared.
          if (location.hash.indexOf('#case=') === 0) {
            var wanted = decodeURIComponent(location.hash.slice(6));
            cases.forEach(function (c) { if (c.id === wanted) { show(c, null); } });
          }
        })();
        """
}

/* SECURITY ACTION 自己宣言 — progressive enhancement.
 *
 * The site works without this file: every form is complete and the server
 * checks everything.  This script only
 *   - marks <html> with class "js" (CSS shows script-only hints),
 *   - on 使用規約確認, keeps 「使用規約に同意する」 inactive (focusable, with
 *     a hint why) until the end of the terms was on the screen,
 *   - on 事業者情報入力, shows the 法人 or 個人事業主 fields only and narrows
 *     業種（中分類） to the chosen 業種（大分類）,
 *   - on 自己宣言入力, shows the 二つ星 fields only when 二つ星 is chosen,
 *   - on 事業者情報入力, fills the empty fields from 「法人番号から入力」
 *     without leaving the page,
 *   - moves the focus to the error summary and makes its links show the
 *     field's label,
 *   - reloads the logo page when the browser restores it from its
 *     back/forward cache (so the download buttons show once both documents
 *     were opened).
 * Plain ES5 and DOM level 2, so old browsers run it too; no inline code
 * anywhere (the Content-Security-Policy forbids it).
 */
(function () {
  'use strict';

  var doc = document;
  var root = doc.documentElement;

  if ((' ' + root.className + ' ').indexOf(' js ') < 0) {
    root.className = (root.className ? root.className + ' ' : '') + 'js';
  }

  /* ---- small helpers ---------------------------------------------------- */

  function hasClass(el, c) {
    return (' ' + el.className + ' ').indexOf(' ' + c + ' ') >= 0;
  }

  function setClass(el, c, on) {
    var has = hasClass(el, c);
    if (on && !has) {
      el.className = (el.className ? el.className + ' ' : '') + c;
    } else if (!on && has) {
      el.className = (' ' + el.className + ' ').replace(' ' + c + ' ', ' ')
        .replace(/^\s+|\s+$/g, '');
    }
  }

  function byClass(c) {
    if (doc.getElementsByClassName) {
      return doc.getElementsByClassName(c);
    }
    return doc.querySelectorAll('.' + c);
  }

  function on(el, ev, fn) {
    if (el.addEventListener) {
      el.addEventListener(ev, fn, false);
    } else if (el.attachEvent) {
      el.attachEvent('on' + ev, fn);
    }
  }

  function radios(name) {
    var all = doc.getElementsByName(name), out = [], i;
    for (i = 0; i < all.length; i++) {
      if (all[i].type === 'radio') {
        out.push(all[i]);
      }
    }
    return out;
  }

  function checkedValue(list) {
    var i;
    for (i = 0; i < list.length; i++) {
      if (list[i].checked) {
        return list[i].value;
      }
    }
    return '';
  }

  /* ---- show the fields that apply to a radio choice ------------------------ */

  /* sections: { value: className, ... }.  The elements of every class except
   * the chosen value's get class "hidden"; with nothing chosen all are hidden. */
  function toggleByRadio(name, sections) {
    var group = radios(name);
    if (!group.length) {
      return;
    }
    function update() {
      var chosen = checkedValue(group), v, els, i;
      for (v in sections) {
        if (Object.prototype.hasOwnProperty.call(sections, v)) {
          els = byClass(sections[v]);
          for (i = 0; i < els.length; i++) {
            setClass(els[i], 'hidden', v !== chosen);
          }
        }
      }
    }
    for (var i = 0; i < group.length; i++) {
      on(group[i], 'change', update);
      on(group[i], 'click', update);
    }
    update();
  }

  /* ---- 使用規約確認: agree once the end of the terms was on the screen ------ */

  /* The terms are in the page's flow with the button after them.  Until
     the last line has been on the screen the button says so (aria-disabled,
     not disabled, so that it can be focused and tells why); focusing it by
     Tab scrolls it into view, and the end with it. */
  function initTerms() {
    var end = doc.getElementById('terms-end');
    var button = doc.getElementById('agree');
    var hint, done = false;

    if (!end || !button || button.getAttribute('data-agreed')) {
      return;                      /* agreed before: nothing to wait for */
    }
    hint = doc.createElement('p');
    hint.id = 'agree-hint';
    hint.className = 'hint';
    hint.setAttribute('aria-live', 'polite');
    button.parentNode.parentNode.insertBefore(hint, button.parentNode);
    button.setAttribute('aria-disabled', 'true');
    button.setAttribute('aria-describedby', 'agree-hint');
    hint.appendChild(doc.createTextNode(
      'まだ押せません。使用規約を最後まで表示すると、「使用規約に同意する」ボタンを押せるようになります。'));

    function seen() {
      var r = end.getBoundingClientRect();
      var h = window.innerHeight || doc.documentElement.clientHeight;
      /* on the screen now, or scrolled past (above it) */
      return r.bottom <= h;
    }

    function check() {
      if (done || !seen()) {
        return done;
      }
      done = true;
      button.removeAttribute('aria-disabled');
      hint.firstChild.nodeValue =
        '使用規約を最後まで表示しました。「使用規約に同意する」ボタンを押せます。';
      return true;
    }

    on(window, 'scroll', check);
    on(window, 'resize', check);
    on(button, 'focus', function () {
      /* the browser scrolls the focused button into view first */
      check();
      if (window.requestAnimationFrame) {
        window.requestAnimationFrame(check);
      }
    });
    on(button, 'click', function (ev) {
      if (check()) {
        return;
      }
      if (ev.preventDefault) {
        ev.preventDefault();
      }
      hint.firstChild.nodeValue =
        'まだ押せません。使用規約がまだ最後まで表示されていません。下までスクロールしてお読みください。';
    });
    check();                       /* a tall window may show it all */
  }

  /* ---- 事業者情報入力: 業種（中分類） within the chosen 大分類 ---------------------- */

  function initJsic() {
    var major = doc.getElementById('f-jsic_major');
    var middle = doc.getElementById('f-jsic_middle');
    var all = [], i;

    if (!major || !middle) {
      return;
    }
    /* the page groups them by 大分類 (<optgroup>); here only the chosen
       大分類's are listed, so the groups go */
    for (i = 0; i < middle.options.length; i++) {
      all.push(middle.options[i]);
    }

    function update() {
      var m = major.value, keep = middle.value, found = false, o;
      while (middle.firstChild) {
        middle.removeChild(middle.firstChild);
      }
      for (i = 0; i < all.length; i++) {
        o = all[i];
        if (o.value === '' || (m !== '' && o.getAttribute('data-major') === m)) {
          middle.appendChild(o);
          if (o.value === keep) {
            found = true;
          }
        }
      }
      middle.value = found ? keep : '';
    }

    on(major, 'change', update);
    update();
  }

  /* ---- error summary ----------------------------------------------------- */

  /* What to scroll into view for a control: the legend of its group for a
   * radio, a checkbox or a group itself (so the question shows), else its
   * <label>. */
  function labelOf(el) {
    var p, labels, i;
    if (el.tagName === 'FIELDSET' || el.type === 'radio' || el.type === 'checkbox') {
      for (p = el; p && p !== doc.body; p = p.parentNode) {
        if (p.tagName === 'FIELDSET') {
          return p.getElementsByTagName('legend')[0] || p;
        }
      }
    }
    if (el.id) {
      labels = doc.getElementsByTagName('label');
      for (i = 0; i < labels.length; i++) {
        if (labels[i].htmlFor === el.id) {
          return labels[i];
        }
      }
    }
    return el;
  }

  function initErrorSummary() {
    var summary = doc.getElementById('error-summary');
    var links, i;

    if (!summary) {
      return;
    }
    links = summary.getElementsByTagName('a');
    for (i = 0; i < links.length; i++) {
      on(links[i], 'click', function (ev) {
        var href = this.getAttribute('href') || '';
        var target = href.charAt(0) === '#' ? doc.getElementById(href.slice(1)) : null;
        var p, label;
        if (!target) {
          return;
        }
        /* a field inside a hidden section: show the section first */
        for (p = target; p && p !== doc.body; p = p.parentNode) {
          if (p.className && hasClass(p, 'hidden')) {
            setClass(p, 'hidden', false);
          }
        }
        if (ev.preventDefault) {
          ev.preventDefault();
        }
        label = labelOf(target);
        if (label.scrollIntoView) {
          label.scrollIntoView();
        }
        try {
          target.focus({ preventScroll: true });
        } catch (e) {
          target.focus();
        }
      });
    }
    summary.focus();
  }

  /* ---- 住所検索 ------------------------------------------------------------ */

  /* Without script the button posts the form and the server fills the
     fields; with it, the same answer comes from /entry/postal without
     leaving the page, so nothing typed elsewhere is touched.  A city the
     applicant typed that differs is only replaced when they say so. */
  function initPostal() {
    var button = doc.getElementById('postal-lookup');
    var postal = doc.getElementById('f-postal');
    var status = doc.getElementById('postal-status');
    var replace = null;
    if (!button || !postal || !status || !window.XMLHttpRequest) {
      return;
    }

    function say(text) {
      status.textContent = text;
    }

    function dropReplace() {
      if (replace) {
        replace.parentNode.removeChild(replace);
        replace = null;
      }
    }

    on(button, 'click', function (ev) {
      var form = postal.form;
      var url = form.getAttribute('action').replace(/company$/, 'postal');
      var code = postal.value.replace(/^\s+|\s+$/g, '');
      var xhr;
      if (ev.preventDefault) {
        ev.preventDefault();
      }
      dropReplace();
      if (code === '') {
        say('郵便番号を入力してから「住所検索」ボタンを押してください。');
        postal.focus();
        return;
      }
      xhr = new XMLHttpRequest();
      xhr.open('GET', url + '?code=' + encodeURIComponent(code), true);
      xhr.onreadystatechange = function () {
        var answer, pref, city, prefName, had;
        if (xhr.readyState !== 4) {
          return;
        }
        if (xhr.status !== 200) {
          say('この郵便番号に当てはまる住所が見つかりませんでした。都道府県と市区町村・町名を入力してください。');
          return;
        }
        answer = JSON.parse(xhr.responseText);
        pref = doc.getElementById('f-pref');
        city = doc.getElementById('f-city');
        pref.value = answer.pref;
        prefName = pref.selectedIndex >= 0 ? pref.options[pref.selectedIndex].text : '';
        had = city.value.replace(/^\s+|\s+$/g, '');
        if (had !== '' && had.indexOf(answer.city) !== 0) {
          say('郵便番号 ' + code + ' の住所は「' + prefName + answer.city + '」です。都道府県に「' +
              prefName + '」を入力しました。市区町村・町名は、入力済みの「' + had +
              '」のままです。置き換える場合は「置き換える」ボタンを押してください。');
          replace = doc.createElement('button');
          replace.type = 'button';
          replace.id = 'postal-replace';
          replace.className = 'secondary inline';
          replace.appendChild(doc.createTextNode('市区町村・町名を「' + answer.city + '」に置き換える'));
          status.parentNode.insertBefore(replace, status.nextSibling);
          on(replace, 'click', function () {
            city.value = answer.city;
            dropReplace();
            say('市区町村・町名を「' + answer.city + '」に置き換えました。続けて番地を入力してください。');
            city.focus();
          });
          return;
        }
        if (had === '') {
          city.value = answer.city;
        }
        say('都道府県に「' + prefName + '」、市区町村・町名に「' + city.value +
            '」を入力しました。内容を確認して、続けて番地を入力してください。');
        city.focus();
      };
      xhr.send(null);
    });
  }

  /* ---- 文字サイズ: switched in place --------------------------------------- */

  /* The switch's links (or, on a form page, its buttons) ask the server to
     remember the size (the same URL the link has; its answer is not used)
     and change the page's class at once, so nothing typed is touched. */
  function initFontSwitch() {
    var box = doc.querySelector ? doc.querySelector('.font-switch') : null;
    var controls, i;
    if (!box || !window.XMLHttpRequest) {
      return;
    }
    controls = box.querySelectorAll('a[href], button[data-href]');

    function apply(large) {
      var j, c, isLarge;
      setClass(doc.body, 'large', large);
      setClass(doc.body, 'normal', !large);
      for (j = 0; j < controls.length; j++) {
        c = controls[j];
        isLarge = /size=large/.test(c.getAttribute('href') || c.getAttribute('data-href'));
        setClass(c, 'on', isLarge === large);
        if (c.tagName === 'BUTTON') {
          c.setAttribute('aria-pressed', isLarge === large ? 'true' : 'false');
        } else if (isLarge === large) {
          c.setAttribute('aria-current', 'true');
        } else {
          c.removeAttribute('aria-current');
        }
      }
    }

    for (i = 0; i < controls.length; i++) {
      on(controls[i], 'click', function (ev) {
        var url = this.getAttribute('href') || this.getAttribute('data-href');
        var xhr = new XMLHttpRequest();
        if (ev.preventDefault) {
          ev.preventDefault();
        }
        xhr.open('GET', url, true);
        xhr.send(null);
        apply(/size=large/.test(url));
      });
    }
  }

  /* ---- 法人番号から入力 ------------------------------------------------------ */

  /* Without script the button posts the form and the server answers with
     the fields filled; with it, the same answer comes from /entry/houjin
     without leaving the page.  Only empty fields are filled; a field typed
     otherwise is listed with the data's value and changed only by the
     button 「公表データに置き換える」. */
  function sameValue(id, typed, value) {
    var norm = function (s) {
      s = String(s).replace(/[\uFF10-\uFF19]/g, function (c) {
        return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
      }).replace(/[\s\u3000\-\u2010-\u2015\u2212\uFF0D]/g, '');
      if (id === 'f-corp_kana') {
        s = s.replace(/[\u3041-\u3096]/g, function (c) {
          return String.fromCharCode(c.charCodeAt(0) + 0x60);
        });
      }
      return s;
    };
    return norm(typed) === norm(value);
  }

  function initHoujin() {
    var button = doc.getElementById('houjin-lookup');
    var number = doc.getElementById('f-corp_no');
    var status = doc.getElementById('houjin-status');
    var fields = [['f-corp_name', 'name', '事業者名'], ['f-corp_kana', 'kana', '事業者名（全角カナ）'],
                  ['f-postal', 'postal', '郵便番号'], ['f-pref', 'pref', '都道府県'],
                  ['f-city', 'city', '市区町村・町名']];
    if (!button || !number || !status || !window.XMLHttpRequest) {
      return;
    }
    function say(lines, differ, answer) {
      var i, p, ul, li, apply;
      while (status.firstChild) {
        status.removeChild(status.firstChild);
      }
      for (i = 0; i < lines.length; i++) {
        p = doc.createElement('p');
        p.appendChild(doc.createTextNode(lines[i]));
        status.appendChild(p);
      }
      if (!differ || !differ.length) {
        return;
      }
      p = doc.createElement('p');
      p.appendChild(doc.createTextNode('次の項目は、入力された内容のままにしています。'));
      status.appendChild(p);
      ul = doc.createElement('ul');
      for (i = 0; i < differ.length; i++) {
        li = doc.createElement('li');
        li.appendChild(doc.createTextNode(differ[i][2] + '：公表データでは「' + differ[i][3] + '」'));
        ul.appendChild(li);
      }
      status.appendChild(ul);
      apply = doc.createElement('button');
      apply.type = 'button';
      apply.className = 'secondary';
      apply.id = 'houjin-apply';
      apply.appendChild(doc.createTextNode('公表データに置き換える'));
      on(apply, 'click', function () {
        var k;
        for (k = 0; k < differ.length; k++) {
          doc.getElementById(differ[k][0]).value = answer[differ[k][1]];
        }
        say(['公表データの内容に置き換えました。内容を確認してください。']);
        doc.getElementById(differ[0][0]).focus();
      });
      status.appendChild(apply);
    }
    on(button, 'click', function (ev) {
      var url = number.form.getAttribute('action').replace(/company$/, 'houjin');
      var xhr = new XMLHttpRequest();
      if (ev.preventDefault) {
        ev.preventDefault();
      }
      xhr.open('GET', url + '?no=' + encodeURIComponent(number.value), true);
      xhr.onreadystatechange = function () {
        var answer, i, el, value, shown, filled = [], differ = [], lines;
        if (xhr.readyState !== 4) {
          return;
        }
        if (xhr.status !== 200) {
          say([xhr.status === 404
               ? 'この法人番号は、国税庁の法人番号公表サイトのデータに見つかりません。番号に誤りがないか、ご確認ください。'
               : 'ただいま法人番号から事業者名を調べられません。事業者名と所在地を入力してください。']);
          number.focus();
          return;
        }
        answer = JSON.parse(xhr.responseText);
        for (i = 0; i < fields.length; i++) {
          el = doc.getElementById(fields[i][0]);
          value = answer[fields[i][1]];
          if (!el || !value) {
            continue;
          }
          shown = fields[i][1] === 'pref' ? answer.pref_name : value;
          if (!el.value) {
            el.value = value;
            filled.push(fields[i][2]);
          } else if (!sameValue(fields[i][0], el.value, value)) {
            differ.push([fields[i][0], fields[i][1], fields[i][2], shown]);
          }
        }
        lines = ['国税庁の公表データでは「' + answer.name + '」（' +
                 (answer.postal ? '〒' + answer.postal + ' ' : '') + answer.pref_name + answer.city + '）です。'];
        if (answer.closed) {
          lines.push('この法人は、公表データでは ' + answer.closed + ' に登記記録が閉鎖されています。');
        }
        if (filled.length) {
          lines.push('空欄だった ' + filled.join('、') + ' に入力しました。内容を確認し、違っていれば直してください。');
        }
        say(lines, differ, answer);
      };
      xhr.send(null);
    });
  }

  /* ---- start ------------------------------------------------------------- */

  function start() {
    initFontSwitch();
    initTerms();
    toggleByRadio('kind', { corp: 'corp-only', sole: 'sole-only' });
    initJsic();
    toggleByRadio('level', { '2': 'level2-only' });
    initErrorSummary();
    initPostal();
    initHoujin();
  }

  /* A page that shows what the server recorded meanwhile (the logo page
   * after both documents were opened) is asked for again when the browser
   * brings it back from its back/forward cache. */
  on(window, 'pageshow', function (e) {
    if (e.persisted && doc.querySelector('.page-logo')) {
      window.location.reload();
    }
  });

  if (doc.readyState === 'loading') {
    on(doc, 'DOMContentLoaded', start);
  } else {
    start();
  }
}());

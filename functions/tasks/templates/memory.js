(function(){
  var deck = JSON.parse(document.getElementById('deck').textContent);
  var grid = document.getElementById('grid'), moves = 0, found = 0, open = [], started = Date.now();
  var submit = document.getElementById('submit'), status = document.getElementById('status');
  deck.forEach(function(card, i){
    var b = document.createElement('button');
    b.type = 'button'; b.className = 'card'; b.dataset.index = i;
    b.setAttribute('aria-label', status.dataset.card + ' ' + (i + 1)); b.textContent = '?';
    b.addEventListener('click', function(){ turn(b, card); });
    grid.appendChild(b);
  });
  function turn(b, card){
    var done = b.classList.contains('matched') || b.classList.contains('shown');
    if (done || open.length == 2) return;
    b.classList.add('shown'); b.textContent = card.text; b.setAttribute('aria-label', card.text);
    open.push([b, card]);
    if (open.length < 2) return;
    moves++; document.getElementById('moves').textContent = moves;
    var a = open[0], c = open[1];
    if (a[1].pair === c[1].pair) {
      a[0].classList.add('matched'); c[0].classList.add('matched'); open = []; found++;
      [a[0], c[0]].forEach(function(x){ x.setAttribute('aria-disabled', 'true'); });
      status.textContent = status.dataset.matched + ': ' + a[1].text + ' / ' + c[1].text;
      if (found * 2 === deck.length) { finish(); }
    } else {
      status.textContent = status.dataset.miss;
      setTimeout(function(){
        [a, c].forEach(function(x){ x[0].classList.remove('shown'); x[0].textContent = '?';
          x[0].setAttribute('aria-label',
            status.dataset.card + ' ' + (Number(x[0].dataset.index) + 1)); });
        open = [];
      }, 900);
    }
  }
  function finish(){
    document.getElementById('matched_pairs').value = found;
    document.getElementById('moves_field').value = moves;
    document.getElementById('seconds').value = Math.round((Date.now() - started) / 1000);
    submit.disabled = false; status.textContent = status.dataset.done; submit.focus();
  }
})();

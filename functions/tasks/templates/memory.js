(function(){
  var deck = JSON.parse(document.getElementById('deck').textContent);
  var grid = document.getElementById('grid'), moves = 0, found = 0, open = [], started = Date.now();
  var submit = document.getElementById('submit'), status = document.getElementById('status');
  var pairs = deck.length / 2, d = status.dataset;
  function score(){
    document.getElementById('moves').textContent = moves;
    document.getElementById('found').textContent = found;
    return d.found + ' ' + found + ' ' + d.of + ' ' + pairs + '. ' + d.moves + ': ' + moves + '.';
  }
  function hide(b){
    b.classList.remove('shown'); b.textContent = '?';
    b.setAttribute('aria-label', d.card + ' ' + (Number(b.dataset.index) + 1));
  }
  deck.forEach(function(card, i){
    var b = document.createElement('button');
    b.type = 'button'; b.className = 'card'; b.dataset.index = i;
    hide(b);
    b.addEventListener('click', function(){ turn(b, card); });
    grid.appendChild(b);
  });
  function turn(b, card){
    var done = b.classList.contains('matched') || b.classList.contains('shown');
    if (done || open.length == 2) return;
    b.classList.add('shown'); b.textContent = card.text; b.setAttribute('aria-label', card.text);
    open.push([b, card]);
    if (open.length < 2) { status.textContent = card.text; return; }
    moves++;
    var a = open[0], c = open[1];
    if (a[1].pair === c[1].pair) {
      a[0].classList.add('matched'); c[0].classList.add('matched'); open = []; found++;
      [a[0], c[0]].forEach(function(x){
        x.setAttribute('aria-disabled', 'true');
        x.setAttribute('aria-label', x.textContent + ' (' + d.matched + ')');
      });
      status.textContent = d.matched + ': ' + a[1].text + ' / ' + c[1].text + '. ' + score();
      if (found === pairs) { finish(); }
    } else {
      status.textContent = d.miss + ': ' + a[1].text + ' / ' + c[1].text + '. ' + score();
      setTimeout(function(){ hide(a[0]); hide(c[0]); open = []; }, 1200);
    }
  }
  function finish(){
    document.getElementById('matched_pairs').value = found;
    document.getElementById('moves_field').value = moves;
    document.getElementById('seconds').value = Math.round((Date.now() - started) / 1000);
    submit.disabled = false; status.textContent = d.done + ' ' + score(); submit.focus();
  }
})();

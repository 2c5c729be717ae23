<?php
// An answer mod_cache may store: public, fresh for five minutes.
// ?star=1 also sets the application's own Access-Control-Allow-Origin: *.
header('Cache-Control: public, max-age=300');
if (isset($_GET['star'])) {
    header('Access-Control-Allow-Origin: *');
}
header('Content-Type: text/plain');
echo 'cacheable ' . ($_GET['n'] ?? '-') . "\n";

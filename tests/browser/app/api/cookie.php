<?php
// ?set=NAME sets the session cookie for this API host (visited first, as a top-level page);
// otherwise tells which session cookie arrived.
require __DIR__ . '/_lib.php';
record_hit();
if (isset($_GET['set'])) {
    $secure = !empty($_SERVER['HTTPS']);
    setcookie('session', $_GET['set'], [
        'path' => '/',
        'httponly' => true,
        'secure' => $secure,
        'samesite' => $secure ? 'None' : 'Lax',
    ]);
    header('Content-Type: text/plain');
    echo "cookie set\n";
    return;
}
reply(200, ['cookie' => $_COOKIE['session'] ?? null]);

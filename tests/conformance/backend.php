<?php
// The application behind every conformance policy (tests/conformance/conformance.py).
// What it does comes from the virtual host (SetEnv), so one script plays each source's handler:
//   CONFORMANCE_BACKEND=static  answers CONFORMANCE_STATUS with CONFORMANCE_BODY and the header
//                               lines in CONFORMANCE_HEADERS ("Name: value" separated by "|")
//   CONFORMANCE_BACKEND=django  the django-cors-headers test project's URLconf: "/" is a view that
//                               only allows GET (200 "Index", else 405), "/unauthorized/" is 401,
//                               every other path 404
// Every answer carries X-Conformance-Backend, which tells the runner that the application ran.
$kind = $_SERVER['CONFORMANCE_BACKEND'] ?? 'static';
header('X-Conformance-Backend: ' . $kind);
header('Content-Type: text/plain');

if ($kind === 'django') {
    $path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
    if ($path === '/') {
        if ($_SERVER['REQUEST_METHOD'] === 'GET') {
            echo 'Index';
        } else {
            http_response_code(405);
            header('Allow: GET');
        }
    } elseif ($path === '/unauthorized/') {
        http_response_code(401);
        echo 'Unauthorized';
    } else {
        http_response_code(404);
        echo 'Not Found';
    }
    exit;
}

http_response_code((int)($_SERVER['CONFORMANCE_STATUS'] ?? 200));
$lines = $_SERVER['CONFORMANCE_HEADERS'] ?? '';
foreach ($lines === '' ? [] : explode('|', $lines) as $line) {
    header($line, false);
}
echo $_SERVER['CONFORMANCE_BODY'] ?? '';

<?php
// A front controller (Laravel's public/index.php, WordPress's index.php): every routed path ends
// here. Records "METHOD ID" and answers with the path it routed.
$state = $_SERVER['CORS_TEST_STATE'] ?? $_SERVER['REDIRECT_CORS_TEST_STATE'] ?? (sys_get_temp_dir() . '/mod_cors_reached.log');
$id = $_GET['id'] ?? '-';
file_put_contents($state, $_SERVER['REQUEST_METHOD'] . ' ' . $id . "\n", FILE_APPEND | LOCK_EX);
header('Content-Type: application/json');
$out = ['routed' => parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH), 'method' => $_SERVER['REQUEST_METHOD']];
foreach (['CORS_REQUEST', 'CORS_ORIGIN', 'CORS_ALLOWED'] as $name) {
    $out[$name] = $_SERVER[$name] ?? null;
}
echo json_encode($out);

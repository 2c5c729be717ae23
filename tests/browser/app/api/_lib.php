<?php
// Shared by the legacy app's endpoints: writes one JSON line per request that reached PHP
// into the file named by HITS_LOG (SetEnv in httpd.conf), so that the tests can tell from
// the PHP side whether a refused call ever got here.
// mod_php does not put Authorization into $_SERVER (httpd keeps it from the environment).
function request_header(string $name): ?string {
    $headers = array_change_key_case(function_exists('getallheaders') ? getallheaders() : [], CASE_LOWER);
    return $headers[strtolower($name)] ?? null;
}

function record_hit(): void {
    $file = $_SERVER['HITS_LOG'] ?? '';
    if ($file === '') return;
    $hit = [
        'method' => $_SERVER['REQUEST_METHOD'],
        'uri' => $_SERVER['REQUEST_URI'],
        'id' => $_GET['id'] ?? '-',
        'origin' => $_SERVER['HTTP_ORIGIN'] ?? null,
        'cookie' => $_COOKIE['session'] ?? null,
        'authorization' => request_header('Authorization'),
        'cors_request' => $_SERVER['CORS_REQUEST'] ?? null,
        'cors_allowed' => $_SERVER['CORS_ALLOWED'] ?? null,
        'cors_reason' => $_SERVER['CORS_REASON'] ?? null,
    ];
    file_put_contents($file, json_encode($hit) . "\n", FILE_APPEND | LOCK_EX);
}

function reply(int $status, array $body, array $headers = []): void {
    http_response_code($status);
    header('Content-Type: application/json');
    foreach ($headers as $h) header($h);
    echo json_encode($body);
}

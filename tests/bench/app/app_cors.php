<?php
// Configuration (d): the application answers CORS itself, as the PHP code of the
// Stack Overflow answer the project started from does, the preflight included.
if (!empty($_SERVER['HTTP_ORIGIN'])) {
    // Uh oh, this XHR comes from outer space...
    if (!preg_match('@\.partner\.example$@', $_SERVER['HTTP_ORIGIN'])) {
        http_response_code(403);
        die("End of the road if you're not my business partner.");
    }
    // otherwise oblige
    header('Access-Control-Allow-Origin: ' . $_SERVER['HTTP_ORIGIN']);
    header('Vary: Origin');
    if ($_SERVER['REQUEST_METHOD'] === 'OPTIONS') {
        header('Access-Control-Allow-Methods: GET, POST, PUT, DELETE');
        if (isset($_SERVER['HTTP_ACCESS_CONTROL_REQUEST_HEADERS'])) {
            header('Access-Control-Allow-Headers: ' . $_SERVER['HTTP_ACCESS_CONTROL_REQUEST_HEADERS']);
        }
        header('Access-Control-Max-Age: 600');
        http_response_code(204);
        exit;
    }
}
header('Content-Type: application/json');
echo json_encode(['ok' => true, 'items' => [1, 2, 3], 'user' => 'bench']), "\n";

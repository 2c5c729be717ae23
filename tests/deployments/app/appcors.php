<?php
// A legacy application that answers CORS itself and sets its own Vary, with a body worth compressing.
header('Access-Control-Allow-Origin: *');
header('Access-Control-Allow-Methods: GET, POST, PUT');
header('Vary: Accept-Encoding');
header('Vary: Origin', false);
header('Content-Type: application/json');
$items = [];
for ($i = 0; $i < 200; $i++) {
    $items[] = ['id' => $i, 'name' => "item number $i", 'text' => str_repeat('lorem ipsum ', 4)];
}
echo json_encode(['items' => $items]);

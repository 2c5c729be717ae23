<?php
// The application behind the benchmark: a small JSON answer. It knows nothing of
// CORS (configurations a, b and c put the CORS headers on in Apache).
header('Content-Type: application/json');
echo json_encode(['ok' => true, 'items' => [1, 2, 3], 'user' => 'bench']), "\n";

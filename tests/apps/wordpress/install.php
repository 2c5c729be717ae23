<?php
// Installs the WordPress of the suite without a browser and without network:
//   php install.php DOCROOT HOST
// wp_install() (what wp-admin/install.php runs), pretty permalinks with the .htaccess that
// WordPress writes itself (save_mod_rewrite_rules), two more posts and an author.
[$_, $root, $host] = $argv;
$_SERVER['HTTP_HOST'] = $host;
$_SERVER['REQUEST_URI'] = '/wp-admin/install.php';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
define('WP_INSTALLING', true);
require $root . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/misc.php';
add_filter('pre_wp_mail', '__return_false');            // no mail server here
$done = wp_install('mod_cors apps', 'admin', 'admin@example.invalid', false, '', 'admin-password-24');
if (empty($done['user_id'])) { fwrite(STDERR, "wp_install failed\n"); exit(1); }

// Settings > Permalinks > "Post name": WordPress writes its standard .htaccess block.
add_filter('got_rewrite', '__return_true');
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);
if (!save_mod_rewrite_rules()) { fwrite(STDERR, "save_mod_rewrite_rules failed\n"); exit(1); }

foreach (['Partner news', 'Second partner post'] as $title) {
    wp_insert_post(['post_title' => $title, 'post_content' => "$title.", 'post_status' => 'publish',
                    'post_author' => 1]);
}
wp_insert_user(['user_login' => 'author', 'user_pass' => 'author-password-24', 'role' => 'author',
                'user_email' => 'author@example.invalid']);
echo json_encode(['installed' => true, 'posts' => (int) wp_count_posts()->publish]), "\n";

<?php
// The local stand-in for the adminer image: ADMINER_DEFAULT_SERVER fills the login form's server
// field, as that image's default-server plugin does; the rest is Debian's adminer.php as it is.
$default = getenv('ADMINER_DEFAULT_SERVER');
if ($default !== false && $default !== '' && !isset($_GET['server']) && !isset($_POST['auth'])) {
  $_GET['server'] = $default;
}
include '/usr/share/adminer/adminer.php';

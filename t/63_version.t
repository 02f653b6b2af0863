# SPDX-License-Identifier: Apache-2.0
# The version, where an administrator looks for it: mod_info's and
# mod_status's "Server Version", the start-up notice; the Server header
# only under ServerTokens Full, as for every module's version component.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok);
use AuthJWT::Instance qw(jwt_location);

my ($ver) = do {
    open my $f, '<', "$FindBin::Bin/../configure.ac" or die $!;
    local $/; <$f> =~ /AC_INIT\(\[mod_auth_jwt\],\s*\[([^\]]+)\]/;
};
ok($ver, "configure.ac version: $ver");
my $mods = AuthJWT::Instance::modules_dir();
for my $tokens (qw(Prod OS Full)) {
    my $h = AuthJWT::Instance->new(name => "version-$tokens", conf =>
        "LoadModule info_module $mods/mod_info.so\n"
        . "LoadModule status_module $mods/mod_status.so\n"
        . "ServerTokens $tokens\n"
        . jwt_location('/p', 'Require valid-jwt')
        . "<Location /server-info>\n    SetHandler server-info\n</Location>\n"
        . "<Location /server-status>\n    SetHandler server-status\n"
        . "</Location>\n");
    $h->start;
    like($h->get('/server-info')->decoded_content,
         qr{Server Version:.*mod_auth_jwt/\Q$ver\E}s,
         "$tokens: mod_info shows mod_auth_jwt/$ver");
    like($h->get('/server-status')->decoded_content,
         qr{Server Version:.*mod_auth_jwt/\Q$ver\E}, 
         "$tokens: mod_status shows it");
    my $server = $h->get('/p', token => tok())->header('Server') // '';
    if ($tokens eq 'Full') {
        like($server, qr{mod_auth_jwt/\Q$ver\E}, "Full: Server header has it");
    }
    else {
        unlike($server, qr{mod_auth_jwt}, "$tokens: Server header '$server'"
               . ' does not name the module');
    }
    like($h->log_since(0), qr{AH70090: mod_auth_jwt/\Q$ver\E OpenSSL/},
         "$tokens: the start-up notice");
    $h->stop;
}
done_testing;

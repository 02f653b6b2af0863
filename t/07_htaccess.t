# SPDX-License-Identifier: Apache-2.0
# Keys and AuthType jwt in .htaccess (AllowOverride AuthConfig).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestUtil qw(t_write_file);
use AuthJWT::Test;

my $docroot = Apache::Test::vars('documentroot');
t_write_file("$docroot/ht/index.html", "ht ok\n");
chmod 0755, "$docroot/ht";
chmod 0644, "$docroot/ht/index.html";
write_htaccess(
    'AuthType jwt',
    'AuthName "ajwt-ht"',
    'AuthJWTKey ' . keyfile('ec256.pub'),
    'AuthJWTIssuer https://issuer.example',
    'Require jwt-role reader',
);

my $good = mint(alg => 'ES256', claims => {
    iss => 'https://issuer.example', roles => ['reader'] });
check_ok('.htaccess: valid token', sub { GET_('/ht/index.html', bearer($good)) },
         like => qr/^ht ok$/m);
check_deny('.htaccess: no token', sub { GET_('/ht/index.html') },
           tag => 'AH70002', realm => 'ajwt-ht');
{
    my $t = mint(alg => 'RS256', claims => {
        iss => 'https://issuer.example', roles => ['reader'] });
    check_deny('.htaccess: RS256 token, EC key', sub {
        GET_('/ht/index.html', bearer($t)) }, tag => [qw(AH70005 AH70007)],
        realm => 'ajwt-ht', token => $t);
    $t = mint(alg => 'ES256', claims => {
        iss => 'https://evil.example', roles => ['reader'] });
    check_deny('.htaccess: wrong issuer', sub {
        GET_('/ht/index.html', bearer($t)) }, tag => 'AH70013',
        realm => 'ajwt-ht', token => $t);
    $t = mint(alg => 'ES256', claims => { iss => 'https://issuer.example' });
    subtest '.htaccess: role lacking' => sub {
        my $r = GET_('/ht/index.html', bearer($t));
        is($r->code, 401, 'status 401');
        like(scalar($r->header('WWW-Authenticate')) // '', www_scope('ajwt-ht'),
             'insufficient_scope');
    };
}
# A broken key in .htaccess is a 500 for that directory, not a crash.
write_htaccess(
    'AuthType jwt',
    'AuthName "ajwt-ht"',
    'AuthJWTKey ' . keyfile('does-not-exist.pub'),
    'Require valid-jwt',
);
subtest '.htaccess: missing key file is a 500' => sub {
    my $r = GET_('/ht/index.html', bearer($good));
    is($r->code, 500, 'status 500');
    is(GET_('/p/rsa-pem', bearer(mint(alg => 'RS256')))->code, 200,
       'server still serving');
};

done_testing;

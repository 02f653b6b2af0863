# SPDX-License-Identifier: Apache-2.0
# Identity-provider directives that are wrong stop `httpd -t` with the
# file, the line and the directive: a URL that is not https, a refresh
# period out of range, a missing CA file, a URL directive in .htaccess
# or at the top level, two CAs for one URL, a bad AuthJWTJwksStartup.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Provider qw(tmpdir spew slurp);

my $top = "$FindBin::Bin/..";
plan skip_all => 'AuthJWTJwksURL not declared by mod_auth_jwt*.c yet'
    unless join("", map { slurp($_) } glob("$top/mod_auth_jwt*.c")) =~ /"AuthJWTJwksURL"/;

my $httpd = Apache::Test::vars('httpd');
my $mods = $ENV{AJWT_HTTPD_MODULES} || '/usr/lib/apache2/modules';
my $dir = tmpdir();
mkdir "$dir/htdocs";
spew("$dir/ca.pem", slurp(keys_dir() . '/rsa.crt'));
my $URL = 'https://idp.example.test/keys.json';

my $n = 0;
# cfg(LINES): a whole configuration; the line marked '!' is the one that
# must be named. Returns (file, line).
sub cfg {
    my @body = @_;
    my $file = "$dir/case" . ++$n . '.conf';
    my @lines = (
        "ServerRoot \"$dir\"", "DefaultRuntimeDir \"$dir\"",
        "PidFile \"$dir/httpd.pid\"", "ErrorLog \"$dir/error_log\"",
        "LoadModule mpm_event_module $mods/mod_mpm_event.so",
        "LoadModule authn_core_module $mods/mod_authn_core.so",
        "LoadModule authz_core_module $mods/mod_authz_core.so",
        "LoadModule auth_jwt_module $ENV{AJWT_MODULE}",
        'Listen 127.0.0.1:1', 'ServerName localhost',
        "DocumentRoot \"$dir/htdocs\"",
    );
    my $mark;
    for my $l (@body) {
        (my $x = $l) =~ s/^!// and $mark ||= @lines + 1;
        push @lines, $x;
    }
    spew($file, join '', map { "$_\n" } @lines);
    return ($file, $mark);
}

sub loc { ('<Location "/p/">', 'AuthType jwt', 'AuthName p', @_,
           'Require valid-jwt', '</Location>') }

sub run_t {
    my $file = shift;
    my $out = `$httpd -t -f $file 2>&1`;
    return ($? >> 8, $out);
}

sub good {
    my ($name, @body) = @_;
    my ($file) = cfg(@body);
    my ($rc, $out) = run_t($file);
    is($rc, 0, "accepted: $name") or diag($out);
}

sub bad {
    my ($name, $directive, @body) = @_;
    my ($file, $line) = cfg(@body);
    subtest "refused: $name" => sub {
        my ($rc, $out) = run_t($file);
        isnt($rc, 0, 'httpd -t fails');
        like($out, qr/Syntax error on line $line of \Q$file\E:/,
             "syntax error on line $line") or diag($out);
        like($out, qr/\Q$directive\E/, "names $directive") or diag($out);
    };
}

good('JWKS URL with a CA file and a period',
     loc("AuthJWTJwksURL $URL 600", "AuthJWTJwksCA $dir/ca.pem"));
good('discovery URL', loc("AuthJWTDiscoveryURL $URL"));
good('AuthJWTJwksStartup fail', 'AuthJWTJwksStartup fail',
     loc("AuthJWTJwksURL $URL"));
good('JWKS URL and a static key together',
     loc("AuthJWTJwksURL $URL", 'AuthJWTKey ' . keys_dir() . '/rsa2.pub'));

bad('http:// URL', 'AuthJWTJwksURL',
    loc('!AuthJWTJwksURL http://idp.example.test/keys.json'));
bad('discovery over http://', 'AuthJWTDiscoveryURL',
    loc('!AuthJWTDiscoveryURL http://idp.example.test/.well-known/x'));
bad('not a URL', 'AuthJWTJwksURL', loc('!AuthJWTJwksURL keys.json'));
bad('period 0', 'AuthJWTJwksURL', loc("!AuthJWTJwksURL $URL 0"));
bad('period not a number', 'AuthJWTJwksURL',
    loc("!AuthJWTJwksURL $URL soon"));
bad('period of 100 days', 'AuthJWTJwksURL',
    loc("!AuthJWTJwksURL $URL 8640000"));
bad('missing CA file', 'AuthJWTJwksCA',
    loc("AuthJWTJwksURL $URL", "!AuthJWTJwksCA $dir/no-such-ca.pem"));
bad('AuthJWTJwksStartup maybe', 'AuthJWTJwksStartup',
    '!AuthJWTJwksStartup maybe', loc("AuthJWTJwksURL $URL"));
bad('AuthJWTJwksStartup inside a Location', 'AuthJWTJwksStartup',
    '<Location "/p/">', 'AuthType jwt', 'AuthName p',
    '!AuthJWTJwksStartup fail', "AuthJWTJwksURL $URL",
    'Require valid-jwt', '</Location>');

# The same URL with two different CA files: which one would verify it?
{
    spew("$dir/other-ca.pem", slurp(keys_dir() . '/rsa.crt'));
    my ($file) = cfg(loc("AuthJWTJwksURL $URL", "AuthJWTJwksCA $dir/ca.pem"),
                     '<Location "/q/">', 'AuthType jwt', 'AuthName q',
                     "AuthJWTJwksURL $URL",
                     "AuthJWTJwksCA $dir/other-ca.pem",
                     'Require valid-jwt', '</Location>');
    my ($rc, $out) = run_t($file);
    isnt($rc, 0, 'refused: one URL, two CA files');
    like($out, qr/AuthJWTJwks(?:URL|CA)/, '... naming the directive')
        or diag($out);
}

# Not in .htaccess: the URL would be fetched for whoever can write one.
{
    mkdir "$dir/htdocs/ht";
    spew("$dir/htdocs/ht/.htaccess",
         join '', map { "$_\n" } 'AuthType jwt', 'AuthName ht',
         "AuthJWTJwksURL $URL", 'Require valid-jwt');
    my ($file) = cfg("<Directory \"$dir/htdocs/ht\">",
                     'AllowOverride AuthConfig', '</Directory>');
    my ($rc, $out) = run_t($file);
    # .htaccess is read per request, not by httpd -t: serve one.
    is($rc, 0, '.htaccess case: the main configuration is fine');
    my $h = AuthJWT::Provider->module(conf => [
        "<Directory \"$dir/htdocs/ht\">", 'AllowOverride AuthConfig',
        '</Directory>', "Alias /ht/ \"$dir/htdocs/ht/\""]);
    $h->doc('x.txt');
    SKIP: {
        skip 'httpd did not start', 2 unless $h->start;
        my $r = $h->get('/ht/x.txt', 'x.y.z');
        is($r->code, 500, 'AuthJWTJwksURL in .htaccess: 500');
        like($h->error_log, qr/AuthJWTJwksURL (?:cannot occur within htaccess|not allowed here)/,
             '... refused for .htaccess in the log');
    }
    $h->stop;
}

done_testing;

# SPDX-License-Identifier: Apache-2.0
# Bad configuration stops "httpd -t" with httpd's own
# "Syntax error on line N of FILE:" naming the directive. Each case is a
# minimal configuration file run through the same httpd binary the suite
# uses; one good configuration proves the harness itself.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use File::Path qw(make_path);

my $httpd = Apache::Test::vars('httpd');
my $mods = $ENV{AJWT_HTTPD_MODULES};
my $dir = Apache::Test::vars('t_logs') . '/cfgtest';
make_path($dir);
my $k = keys_dir();

# A JWKS mixing a secret with a public key.
{
    open my $fh, '>', "$dir/mixed-secret.jwks" or die;
    my $rsa = Crypt::PK::RSA->new("$k/rsa.pub")->export_key_jwk('public', 1);
    print $fh json_c()->encode({ keys => [
        { %$rsa, kid => 'r' },
        { kty => 'oct', kid => 's', k => b64u('s' x 64) } ] });
    close $fh;
}

my $n = 0;
# cfg(\@lines): write a config; returns (file, line number of the first
# line marked with a leading '!').
sub cfg {
    my @body = @_;
    my $file = "$dir/case" . ++$n . '.conf';
    my @pre = (
        "ServerRoot \"$dir\"",
        "DefaultRuntimeDir \"$dir\"",
        "PidFile \"$dir/httpd.pid\"",
        "ErrorLog \"$dir/error_log\"",
        "<IfModule !mpm_event_module>",
        "LoadModule mpm_event_module $mods/mod_mpm_event.so",
        "</IfModule>",
        "LoadModule authn_core_module $mods/mod_authn_core.so",
        "LoadModule authz_core_module $mods/mod_authz_core.so",
        "LoadModule auth_jwt_module $ENV{AJWT_MODULE}",
        "Listen 127.0.0.1:1",
        "ServerName localhost",
        "<Location \"/x\">",
        "AuthType jwt",
        "AuthName x",
    );
    my @post = ("Require valid-jwt", "</Location>");
    my ($mark, @lines);
    for my $l (@pre, @body, @post) {
        if ($l =~ s/^!//) { $mark ||= @lines + 1 }
        push @lines, $l;
    }
    open my $fh, '>', $file or die "$file: $!";
    print $fh map { "$_\n" } @lines;
    close $fh;
    return ($file, $mark);
}

sub run_t {
    my $file = shift;
    my $out = `$httpd -t -f $file 2>&1`;
    return ($? >> 8, $out);
}

# bad($name, $directive, @lines): the line marked '!' must be named.
sub bad {
    my ($name, $directive, @body) = @_;
    my ($file, $line) = cfg(@body);
    subtest $name => sub {
        my ($rc, $out) = run_t($file);
        isnt($rc, 0, 'httpd -t fails');
        like($out, qr/Syntax error on line $line of \Q$file\E:/,
             "syntax error on line $line");
        like($out, qr/^\Q$directive\E\b.*\S/m, "message names $directive")
            or diag($out);
        unlike($out, qr/Syntax OK/, 'no Syntax OK');
    };
}

subtest 'good configuration: Syntax OK' => sub {
    my ($file) = cfg("AuthJWTKey $k/rsa.pub",
                     "AuthJWTSecret file:$k/hs64.secret hs",
                     "AuthJWTKey $k/rotate.jwks",
                     "AuthJWTAlgorithms RS256 HS256",
                     "AuthJWTIssuer https://issuer.example",
                     "AuthJWTLeeway 10");
    my ($rc, $out) = run_t($file);
    is($rc, 0, 'httpd -t succeeds') or diag($out);
    like($out, qr/Syntax OK/, 'Syntax OK');
};

bad('missing key file', 'AuthJWTKey', "!AuthJWTKey $k/does-not-exist.pem");
bad('secret shorter than 32 bytes', 'AuthJWTSecret',
    "!AuthJWTSecret file:$k/short.secret");
bad('secret file missing', 'AuthJWTSecret',
    "!AuthJWTSecret file:$k/does-not-exist.secret");
bad('env secret unset', 'AuthJWTSecret',
    "!AuthJWTSecret env:AJWT_TEST_SECRET_NOT_SET_ANYWHERE");
bad('inline secret', 'AuthJWTSecret',
    '!AuthJWTSecret 0123456789abcdef0123456789abcdef0123456789abcdef');
bad('unknown algorithm', 'AuthJWTAlgorithms',
    "AuthJWTKey $k/rsa.pub", '!AuthJWTAlgorithms RS256 XS256');
bad('AuthJWTAlgorithms none', 'AuthJWTAlgorithms',
    "AuthJWTKey $k/rsa.pub", '!AuthJWTAlgorithms none');
bad('AuthJWTAlgorithms RS256 none', 'AuthJWTAlgorithms',
    "AuthJWTKey $k/rsa.pub", '!AuthJWTAlgorithms RS256 none');
bad('RSA key, AuthJWTAlgorithms HS256 (algorithms first)', 'AuthJWTKey',
    'AuthJWTAlgorithms HS256', "!AuthJWTKey $k/rsa.pub");
bad('RSA key, AuthJWTAlgorithms HS256 (key first)', 'AuthJWTAlgorithms',
    "AuthJWTKey $k/rsa.pub", '!AuthJWTAlgorithms HS256');
bad('HS384 listed, 32-byte secret', 'AuthJWTSecret',
    'AuthJWTAlgorithms HS384', "!AuthJWTSecret file:$k/hs32.secret");
bad('RSA key under 2048 bits', 'AuthJWTKey', "!AuthJWTKey $k/rsa1024.pub");
bad('duplicate kid', 'AuthJWTKey', "AuthJWTKey $k/rsa.pub k1",
    "!AuthJWTKey $k/rsa2.pub k1");
bad('JWKS mixing a secret and a public key', 'AuthJWTKey',
    "!AuthJWTKey $dir/mixed-secret.jwks");
bad('leeway not a number', 'AuthJWTLeeway', '!AuthJWTLeeway soon');
bad('negative leeway', 'AuthJWTLeeway', '!AuthJWTLeeway -5');
bad('bad token source', 'AuthJWTTokenFrom', '!AuthJWTTokenFrom body=x');

done_testing;

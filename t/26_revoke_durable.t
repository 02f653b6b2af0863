# SPDX-License-Identifier: Apache-2.0
# The shm store survives a full stop and start and a crash: every write
# is in the journal (AuthJWTStateDir) and on disk before it is
# acknowledged, and a fresh start puts it back. A journal cut short is
# trimmed, a damaged or foreign one is set aside with a log line and the
# server still starts; a child that cannot open the journal refuses
# tokens (503) instead of letting them through.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance;
use AuthJWT::Test qw(mint);
use File::Temp qw(tempdir);
use JSON;
use HTTP::Request;
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);

my $aux = tempdir('ajwt-durable-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
my $state = "$aux/state";
my $secret = 'd' x 40;
open my $fh, '>', "$aux/hs.secret" or die $!;
print $fh $secret;
close $fh;
chmod 0644, "$aux/hs.secret";

sub conf {
    my ($failure) = @_;
    return <<"C";
AuthJWTRevocationStore shm
AuthJWTStateDir $state
AuthJWTSecret file:$aux/hs.secret
<Location "/p">
    AuthType jwt
    AuthName durable
    Require valid-jwt
</Location>
<Location "/q">
    AuthType jwt
    AuthName durable
    AuthJWTRevocationFailure allow
    Require valid-jwt
</Location>
<Location "/revoke">
    SetHandler jwt-revoke
</Location>
C
}

# sub dora, iat now, exp in 600 s (mint's defaults), this file's secret
sub tok {
    mint(alg => 'HS256', key => "raw:$secret",
         claims => { sub => 'dora', @_ });
}
sub code {
    my ($h, $path, $t) = @_;
    return $h->get($path, token => $t)->code;
}
sub journal { (glob "$state/revocations-*.journal")[0] }

my $h = AuthJWT::Instance->new(name => 'durable', children => 3,
                               conf => conf());
$h->start;
ok(-f journal(), 'the journal is made under AuthJWTStateDir: '
                 . (journal() // '-'));
my $ta = tok(jti => 'a-1');
my $tb = tok(sub => 'erin', jti => 'b-1');
my $tc = tok(jti => 'c-1');
is(code($h, '/p', $ta), 200, 'token a: 200');
is($h->post_form('/revoke', [token => $ta])->code, 200, 'revoke a (jti)');
is($h->post_form('/revoke', [sub => 'erin'])->code, 200, 'revoke erin (sub)');
is(code($h, '/p', $ta), 401, 'a: 401');
is(code($h, '/p', $tb), 401, 'erin: 401');

# --- full stop and start
$h->stop;
my $mark = 0;
$h->start;
is(code($h, '/p', $ta), 401, 'after stop and start: a still 401');
is(code($h, '/p', $tb), 401, 'after stop and start: erin still 401');
is(code($h, '/p', $tc), 200, 'an unrevoked token: 200');
like($h->log_since($mark), qr/AH70062: revocation store shm: \d+ entries restored from/,
     'restored at start-up (AH70062)');

# --- a crash in the middle of writing: nothing acknowledged is lost
my $acked = "$aux/acked";
unlink $acked;
my $kid = fork;
die "fork: $!" unless defined $kid;
if (!$kid) {
    my $ua = LWP::UserAgent->new(timeout => 3);
    open my $out, '>>', $acked or _exit(1);
    $out->autoflush(1);
    for my $i (1 .. 5000) {
        my $r = HTTP::Request->new(POST => $h->url('/revoke'));
        $r->header('Content-Type' => 'application/x-www-form-urlencoded');
        $r->content('jti=k-' . $i . '&exp=' . (int(time) + 600));
        my $res = $ua->request($r);
        if ($res->code == 200) {
            print $out "$i\n";
        }
        elsif ($res->header('Client-Warning')) {
            last;               # the server is gone
        }
    }
    _exit(0);
}
sleep 1.5;
my @procs = ($h->pid, $h->children);
kill 'KILL', @procs;
waitpid $kid, 0;
AuthJWT::Instance::wait_gone($_, 5) for @procs;
unlink $h->pid_file;
open my $in, '<', $acked or die $!;
my @ids = map { chomp; $_ } <$in>;
close $in;
cmp_ok(scalar @ids, '>', 20, scalar(@ids) . ' revocations acknowledged '
                           . 'before the kill -9 of every httpd process');
$h->start;
my @lost = grep { code($h, '/p', tok(jti => "k-$_")) != 401 } @ids;
is(scalar @lost, 0, 'after the crash, every acknowledged one still 401')
    or diag("lost: @lost[0 .. ($#lost > 9 ? 9 : $#lost)]");

# --- a journal cut short (a record half written) is trimmed
$h->stop;
open my $j, '>>', journal() or die $!;
print $j "\x01" x 40;
close $j;
$mark = 0;
$h->start;
like($h->log_since($mark), qr/AH70060: revocation journal .*incomplete last record/,
     'a half-written last record: cut off, logged (AH70060)');
is(code($h, '/p', $ta), 401, '... and the revocations hold');

# --- damage in the middle: set aside, the good records kept
$h->stop;
{
    my $f = journal();
    open my $rw, '+<', $f or die $!;
    binmode $rw;
    my $size = -s $f;
    seek $rw, 32 + 88 * 3 + 40, 0;      # inside the fourth record
    print $rw "\xff\xfe";
    close $rw;
}
$mark = 0;
$h->start;
like($h->log_since($mark), qr/AH70059: revocation journal .* is damaged: moved to \S+\.bad-\d+/,
     'a damaged journal: set aside, logged (AH70059)');
ok(glob("$state/*.bad-*"), '... the damaged file is kept beside');
is(code($h, '/p', $ta), 401, '... the good records still hold (a)');
is(code($h, '/p', $tb), 401, '... (erin)');

# --- not a journal at all: set aside, the server still starts
$h->stop;
{
    open my $w, '>', journal() or die $!;
    print $w "this is not a journal\n" x 10;
    close $w;
}
$mark = 0;
$h->start;
like($h->log_since($mark), qr/AH70059: revocation journal .* is not a journal of this module/,
     'a foreign file: set aside, logged (AH70059), never trusted');
is(code($h, '/p', $tc), 200, '... and the server serves');

# --- a child that cannot open the journal refuses tokens
SKIP: {
    skip 'needs root (children run as nobody)', 5 unless $> == 0;
    is($h->post_form('/revoke', [token => $ta])->code, 200,
       'revoke a again (the foreign file took its entry)');
    chmod 0, journal();
    $mark = $h->log_mark;
    $h->graceful;
    is(code($h, '/p', $tc), 503, 'children without their store: 503, '
                                  . 'not 200');
    is(code($h, '/q', $ta), 200, 'AuthJWTRevocationFailure allow: let '
                                 . 'through (logged)');
    like($h->log_since($mark), qr/AH70066: revocation journal .* cannot open it in this child/,
         '... the child said why (AH70066)');
    chmod 0600, journal();
    $h->graceful;
    is(code($h, '/p', $ta), 401, 'journal readable again: a is 401 again');
}
$h->stop;

# --- an existing directory that is not the server's is never taken over
SKIP: {
    skip 'needs root (ownership of the state directory)', 2 unless $> == 0;
    my $d = tempdir('ajwt-notours-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $d;                         # root's, as /etc would be
    (my $c = conf()) =~ s/^AuthJWTStateDir .*$/AuthJWTStateDir $d/m;
    my $x = AuthJWT::Instance->new(name => 'notours', conf => $c);
    ok(!eval { $x->start; 1 }, 'AuthJWTStateDir naming a root-owned '
                               . 'directory: start-up refused');
    my @st = stat $d;
    is($st[4], 0, '... and the directory still belongs to root');
    $x->stop;
}
done_testing();

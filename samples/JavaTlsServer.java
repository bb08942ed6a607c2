// JavaTlsServer: a small JDK TLS server for samples/make-samples.
//
// It accepts connections one at a time, answers the first line it reads with "echo: <line>", then
// keeps reading until the peer closes, so the JDK sees how the client ends the connection (with or
// without close_notify). The point is the JDK's session cache: run with
// -Dcom.sun.net.ssl.requireCloseNotify=true, an EOF without close_notify is a fatal error and the
// JDK invalidates the session, so a later resumption attempt is refused. Each connection logs its
// session ID and how it ended, so make-samples can record what really happened.
//
// Usage: java JavaTlsServer BIND_ADDR PORT KEYSTORE.p12 PASSWORD [MAX_CONNS]
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

public final class JavaTlsServer {
    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        InetAddress bind = InetAddress.getByName(args[0]);
        int port = Integer.parseInt(args[1]);
        char[] pass = args[3].toCharArray();
        int maxConns = args.length > 4 ? Integer.parseInt(args[4]) : 0;

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args[2])) {
            ks.load(in, pass);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);

        try (SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(port, 16, bind)) {
            System.out.println("listening " + bind.getHostAddress() + ":" + port);
            System.out.flush();
            for (int n = 1; maxConns == 0 || n <= maxConns; n++) {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    serve(n, s);
                } catch (Exception e) {
                    // A fatal TLS error ends only this connection; the log says which.
                    System.out.println("conn " + n + " error " + e);
                }
                System.out.flush();
            }
        }
    }

    private static void serve(int n, SSLSocket s) throws Exception {
        s.startHandshake();
        SSLSession sess = s.getSession();
        System.out.println("conn " + n + " " + sess.getProtocol() + " " + sess.getCipherSuite()
                + " session_id=" + hex(sess.getId()) + " created=" + sess.getCreationTime());
        BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        OutputStream w = s.getOutputStream();
        String line = r.readLine();
        if (line != null) {
            w.write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
            w.flush();
        }
        // Read to the end so the JDK notices whether the peer sent close_notify.
        while (r.readLine() != null) {
            // discard
        }
        System.out.println("conn " + n + " eof; session valid=" + sess.isValid());
    }
}

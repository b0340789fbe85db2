// Submits the authorization response form of form_post.html as soon as the
// page loads (OAuth 2.0 Form Post Response Mode, section 2). The page keeps
// a button for browsers that run no script. Served as a file so that the
// Content-Security-Policy can forbid inline script.
document.getElementById("form-post").submit();

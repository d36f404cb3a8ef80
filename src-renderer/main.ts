import './lib/zod-jitless.ts';
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { createClient } from './lib/client/create-client.ts';

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');
const { client, hasToken } = createClient(window);
mount(App, { target, props: { client, hasToken } });
